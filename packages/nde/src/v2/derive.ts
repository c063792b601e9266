/**
 * Key schedule of NDE v2 (docs/nde-v2-spec.md, "Key schedule"): v1's HKDF-SHA-256 construction with
 * the `nqc/v2/nde/...` labels and v2's tensor sizes.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { NDE_V2_HIDDEN as H, NDE_V2_LABELS, NDE_V2_OUTPUTS as O, NDE_V2_STATE as S } from './constants.js';

const PART = 4096;

/** The key-derived tensors of one (key, salt) pair under v2. Secret: wipe with {@link _wipeParamsV2}. */
export interface NdeParamsV2 {
  /** HKDF pseudo-random key; chunk start states are expanded from it */
  readonly prk: Uint8Array;
  /** layer 1 weights, uint8 [64 inputs][64 outputs] row-major: `w1[k*64 + j]` */
  readonly w1: Uint8Array;
  /** layer 1 per-output zero points (64) */
  readonly z1: Uint8Array;
  /** layer 2 weights, uint8 [64 inputs][576 outputs] row-major: `w2[k*576 + j]` */
  readonly w2: Uint8Array;
  /** layer 2 per-output zero points (576) */
  readonly z2: Uint8Array;
}

function param(prk: Uint8Array, label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const prefix = utf8ToBytes(label);
  const info = new Uint8Array(prefix.length + 4);
  info.set(prefix);
  const view = new DataView(info.buffer);
  for (let p = 0, off = 0; off < length; p++, off += PART) {
    view.setUint32(prefix.length, p, false);
    out.set(expand(sha256, prk, info, Math.min(PART, length - off)), off);
  }
  return out;
}

/**
 * Derives the v2 weights and zero points of (key, salt). Inputs must be validated by the caller.
 * @internal
 */
export function _deriveParamsV2(key: Uint8Array, salt: Uint8Array): NdeParamsV2 {
  const prk = extract(sha256, key, salt);
  return {
    prk,
    w1: param(prk, NDE_V2_LABELS.w1, S * H),
    z1: param(prk, NDE_V2_LABELS.z1, H),
    w2: param(prk, NDE_V2_LABELS.w2, H * O),
    z2: param(prk, NDE_V2_LABELS.z2, O),
  };
}

const IV_PREFIX = utf8ToBytes(NDE_V2_LABELS.iv);

/**
 * Writes the start state of chunk `index` (64 bytes) into `out` at `offset`:
 * `HKDF-Expand(prk, "nqc/v2/nde/iv" || u64be(index), 64)`.
 * @internal
 */
export function _deriveIvV2(prk: Uint8Array, index: number, out: Uint8Array, offset = 0): void {
  const info = new Uint8Array(IV_PREFIX.length + 8);
  info.set(IV_PREFIX);
  // index <= 2^53 - 1: two 32-bit halves make the big-endian u64.
  const view = new DataView(info.buffer);
  view.setUint32(IV_PREFIX.length, Math.floor(index / 2 ** 32), false);
  view.setUint32(IV_PREFIX.length + 4, index >>> 0, false);
  out.set(expand(sha256, prk, info, S), offset);
}

/** Overwrites derived v2 secrets with zeros. @internal */
export function _wipeParamsV2(p: NdeParamsV2): void {
  p.prk.fill(0);
  p.w1.fill(0);
  p.z1.fill(0);
  p.w2.fill(0);
  p.z2.fill(0);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Constant-time in the contents (the lengths are public).
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A one-entry cache of derived v2 parameters (an envelope calls the backend many times with one
 * (key, salt); deriving 41 KB of weights costs about a millisecond).
 * @internal
 */
export class _ParamCacheV2 {
  #key: Uint8Array | undefined;
  #salt: Uint8Array | undefined;
  #params: NdeParamsV2 | undefined;

  get(key: Uint8Array, salt: Uint8Array): NdeParamsV2 {
    if (this.#params && this.#key && this.#salt && sameBytes(this.#key, key) && sameBytes(this.#salt, salt)) {
      return this.#params;
    }
    this.clear();
    // Real copies: on a Node Buffer, slice() is a view, and wiping it would wipe the caller's key.
    this.#key = new Uint8Array(key);
    this.#salt = new Uint8Array(salt);
    this.#params = _deriveParamsV2(this.#key, this.#salt);
    return this.#params;
  }

  clear(): void {
    if (this.#params) _wipeParamsV2(this.#params);
    this.#key?.fill(0);
    this.#salt?.fill(0);
    this.#key = this.#salt = this.#params = undefined;
  }
}
