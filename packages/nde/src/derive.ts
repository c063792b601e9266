/**
 * Key schedule of NDE v1: every secret tensor is HKDF-SHA-256 output (RFC 5869) under a versioned label.
 *
 *   prk            = HKDF-Extract(salt, key)
 *   param(label,L) = T(0) || T(1) || ... truncated to L bytes,
 *                    T(p) = HKDF-Expand(prk, utf8(label) || u32be(p), 4096)
 *   w1 = param("nqc/v1/nde/w1", 128*128)   uint8, row-major [input k][output j]
 *   z1 = param("nqc/v1/nde/z1", 128)       uint8, per-output zero point (acts as a bias)
 *   w2, z2 likewise with labels .../w2, .../z2
 *   iv(index) = HKDF-Expand(prk, utf8("nqc/v1/nde/iv") || u64be(index), 128)
 *
 * HKDF-Expand yields at most 255*32 bytes per call, hence the 4096-byte parts.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { NDE_BLOCK_SIZE, NDE_LABELS } from './constants.js';

const PART = 4096;

/** The key-derived tensors of one (key, salt) pair. Secret: wipe with {@link wipeParams}. */
export interface NdeParams {
  /** HKDF pseudo-random key; chunk IVs are expanded from it */
  readonly prk: Uint8Array;
  /** layer 1 weights, uint8 [128][128] row-major (input-major) */
  readonly w1: Uint8Array;
  /** layer 1 per-output zero points (bias) */
  readonly z1: Uint8Array;
  /** layer 2 weights */
  readonly w2: Uint8Array;
  /** layer 2 zero points */
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
 * Derives the weights and zero points of (key, salt). Inputs must be validated by the caller.
 * @internal
 */
export function _deriveParams(key: Uint8Array, salt: Uint8Array): NdeParams {
  const n = NDE_BLOCK_SIZE;
  const prk = extract(sha256, key, salt);
  return {
    prk,
    w1: param(prk, NDE_LABELS.w1, n * n),
    z1: param(prk, NDE_LABELS.z1, n),
    w2: param(prk, NDE_LABELS.w2, n * n),
    z2: param(prk, NDE_LABELS.z2, n),
  };
}

const IV_PREFIX = utf8ToBytes(NDE_LABELS.iv);

/**
 * Writes the starting state of chunk `index` into `out` (128 bytes).
 * @internal
 */
export function _deriveIv(prk: Uint8Array, index: number, out: Uint8Array, offset = 0): void {
  const info = new Uint8Array(IV_PREFIX.length + 8);
  info.set(IV_PREFIX);
  // index <= 2^53 - 1: split into two 32-bit halves for the big-endian u64.
  const view = new DataView(info.buffer);
  view.setUint32(IV_PREFIX.length, Math.floor(index / 2 ** 32), false);
  view.setUint32(IV_PREFIX.length + 4, index >>> 0, false);
  out.set(expand(sha256, prk, info, NDE_BLOCK_SIZE), offset);
}

/** Overwrites derived secrets with zeros. @internal */
export function _wipeParams(p: NdeParams): void {
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
 * A one-entry cache of derived parameters: the envelope calls the backend many times with one
 * (key, salt), and deriving 33 KB of weights costs about a millisecond.
 * @internal
 */
export class _ParamCache {
  #key: Uint8Array | undefined;
  #salt: Uint8Array | undefined;
  #params: NdeParams | undefined;

  get(key: Uint8Array, salt: Uint8Array): NdeParams {
    if (this.#params && this.#key && this.#salt && sameBytes(this.#key, key) && sameBytes(this.#salt, salt)) {
      return this.#params;
    }
    this.clear();
    // Real copies: on a Node Buffer, slice() is a view, and wiping it would wipe the caller's key.
    this.#key = new Uint8Array(key);
    this.#salt = new Uint8Array(salt);
    this.#params = _deriveParams(key, salt);
    return this.#params;
  }

  clear(): void {
    if (this.#params) _wipeParams(this.#params);
    this.#key?.fill(0);
    this.#key = this.#salt = this.#params = undefined;
  }
}
