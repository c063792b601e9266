/**
 * The HKDF-SHA-256 key schedule shared by every NDE version (RFC 5869). A version is only its labels
 * and its tensor sizes ({@link _KeySchedule}); the construction is the same:
 *
 *   prk            = HKDF-Extract(salt, key)
 *   param(label,L) = T(0) || T(1) || ... truncated to L bytes,
 *                    T(p) = HKDF-Expand(prk, utf8(label) || u32be(p), 4096)
 *   w1, z1, w2, z2 = param(labels.w1, sizes.w1), ... (uint8, row-major, input-major)
 *   iv(index)      = HKDF-Expand(prk, utf8(labels.iv) || u64be(index), sizes.iv)
 *
 * HKDF-Expand yields at most 255*32 bytes per call, hence the 4096-byte parts.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

const PART = 4096;

/** The key-derived tensors of one (key, salt) pair, whatever the version. Secret. @internal */
export interface _KeyTensors {
  /** HKDF pseudo-random key; chunk start states are expanded from it */
  readonly prk: Uint8Array;
  /** layer 1 weights */
  readonly w1: Uint8Array;
  /** layer 1 per-output zero points */
  readonly z1: Uint8Array;
  /** layer 2 weights */
  readonly w2: Uint8Array;
  /** layer 2 per-output zero points */
  readonly z2: Uint8Array;
}

/** What makes one version's key schedule: its `info` labels and its tensor lengths in bytes. @internal */
export interface _KeySchedule {
  /** HKDF `info` label prefixes */
  readonly labels: { readonly w1: string; readonly z1: string; readonly w2: string; readonly z2: string; readonly iv: string };
  /** byte lengths of the tensors, and of the chunk start state (`iv`) */
  readonly sizes: { readonly w1: number; readonly z1: number; readonly w2: number; readonly z2: number; readonly iv: number };
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
 * Derives the weights and zero points of (key, salt) under `schedule`. Inputs must be validated by the caller.
 * @internal
 */
export function _deriveKeyTensors(schedule: _KeySchedule, key: Uint8Array, salt: Uint8Array): _KeyTensors {
  const { labels, sizes } = schedule;
  const prk = extract(sha256, key, salt);
  return {
    prk,
    w1: param(prk, labels.w1, sizes.w1),
    z1: param(prk, labels.z1, sizes.z1),
    w2: param(prk, labels.w2, sizes.w2),
    z2: param(prk, labels.z2, sizes.z2),
  };
}

/**
 * Makes the chunk start-state function of `schedule`: it writes
 * `HKDF-Expand(prk, utf8(labels.iv) || u64be(index), sizes.iv)` into `out` at `offset`.
 * @internal
 */
export function _startStateDeriver(
  schedule: _KeySchedule,
): (prk: Uint8Array, index: number, out: Uint8Array, offset?: number) => void {
  const ivPrefix = utf8ToBytes(schedule.labels.iv);
  const length = schedule.sizes.iv;
  return (prk, index, out, offset = 0) => {
    const info = new Uint8Array(ivPrefix.length + 8);
    info.set(ivPrefix);
    // index <= 2^53 - 1: two 32-bit halves make the big-endian u64.
    const view = new DataView(info.buffer);
    view.setUint32(ivPrefix.length, Math.floor(index / 2 ** 32), false);
    view.setUint32(ivPrefix.length + 4, index >>> 0, false);
    out.set(expand(sha256, prk, info, length), offset);
  };
}

/** Overwrites derived secrets with zeros. @internal */
export function _wipeKeyTensors(p: _KeyTensors): void {
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
 * A one-entry cache of derived parameters: an envelope calls the backend many times with one
 * (key, salt), and deriving tens of KB of weights costs about a millisecond. Each version
 * subclasses it with its own derive function.
 * @internal
 */
export class _OneKeyCache<P extends _KeyTensors> {
  readonly #derive: (key: Uint8Array, salt: Uint8Array) => P;
  #key: Uint8Array | undefined;
  #salt: Uint8Array | undefined;
  #params: P | undefined;

  constructor(derive: (key: Uint8Array, salt: Uint8Array) => P) {
    this.#derive = derive;
  }

  /** The parameters of (key, salt): the cached ones when both match, else freshly derived. */
  get(key: Uint8Array, salt: Uint8Array): P {
    if (this.#params && this.#key && this.#salt && sameBytes(this.#key, key) && sameBytes(this.#salt, salt)) {
      return this.#params;
    }
    this.clear();
    // Real copies: on a Node Buffer, slice() is a view, and wiping it would wipe the caller's key.
    this.#key = new Uint8Array(key);
    this.#salt = new Uint8Array(salt);
    this.#params = this.#derive(this.#key, this.#salt);
    return this.#params;
  }

  /** Wipes and forgets the cached entry. */
  clear(): void {
    if (this.#params) _wipeKeyTensors(this.#params);
    this.#key?.fill(0);
    this.#salt?.fill(0);
    this.#key = this.#salt = this.#params = undefined;
  }
}
