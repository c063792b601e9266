/**
 * The reference backend: the specification of NDE v1 in plain TypeScript (runs in browsers).
 *
 * For one chunk with key-derived (w1, z1, w2, z2) and starting state h = iv(index), each 128-byte
 * block d (the last may be shorter; it is computed as if zero-padded) gives:
 *
 *   a1[j] = sigma( sum_k h[k]  * (w1[k][j] - z1[j]) )      hidden layer   (int32, never overflows)
 *   ks[j] = sigma( sum_k a1[k] * (w2[k][j] - z2[j]) )      keystream
 *   out[j] = encrypting ? d[j] + ks[j] : d[j] - ks[j]       (mod 256)
 *   c = (encrypting ? out : d)                              the ciphertext block
 *   h[j] = a1[j] + c[j]                     (mod 256)       state carried to the next block
 *   sigma(acc) = ((acc mod 2^32) * 0x9E3779B1 mod 2^32) >> 24
 *
 * |acc| <= 128 * 255 * 255 < 2^23, so every accumulator is exact in int32 on every kernel.
 */
import { NDE_BLOCK_SIZE, NDE_MIX, NDE_MIX_SHIFT } from './constants.js';
import { _checkVersion } from './checks.js';
import { _deriveIv, _ParamCache, type NdeParams } from './derive.js';
import { _createKernelBackend } from './kernel-backend.js';
import type { NdeBackend } from './types.js';
import { _createReferenceBackendV2 } from './v2/reference.js';
import type { NdeVersion } from './versions.js';

const N = NDE_BLOCK_SIZE;
const H = N / 2;
const TWO24 = 2 ** 24;

/** Packs (w - z) two columns per float64 (layout in {@link _ReferenceKernel}). @internal */
export function _packWeights(w: Uint8Array, z: Uint8Array, out: Float64Array): void {
  for (let k = 0; k < N; k++) {
    for (let m = 0; m < H; m++) {
      const a = w[k * N + 2 * m]! - z[2 * m]!;
      const b = w[k * N + 2 * m + 1]! - z[2 * m + 1]!;
      out[m * N + k] = a + 256 + b * TWO24;
    }
  }
}

/** Per-(key, salt) tables and scratch buffers of the reference loop. @internal */
export class _ReferenceKernel {
  // Weights minus zero points, two output columns packed per float64 (see #layer):
  //   wz[k][j] = w[k][j] - z[j] in [-255, 255]
  //   p[m*N + k] = (wz[k][2m] + 256) + wz[k][2m+1] * 2^24   (column-pair-major, for dot products)
  // Every partial sum stays an integer below 2^47, so float64 arithmetic is exact: this halves the
  // multiply-adds of the obvious int32 loop.
  readonly #wz1 = new Float64Array(N * H);
  readonly #wz2 = new Float64Array(N * H);
  readonly #x = new Float64Array(N);
  readonly #h = new Uint8Array(N);
  readonly #a1 = new Uint8Array(N);
  readonly #ks = new Uint8Array(N);
  readonly #params: NdeParams;

  constructor(params: NdeParams) {
    this.#params = params;
    _packWeights(params.w1, params.z1, this.#wz1);
    _packWeights(params.w2, params.z2, this.#wz2);
  }

  // out[j] = sigma(sum_k x[k] * wz[k][j]), two columns per float64:
  //   v = sum_k x[k] * p[k][m] = lo + 2^24 * hi, lo = sum x*(wz_a + 256) in [0, 2^24), hi = sum x*wz_b
  //   hi = floor(v / 2^24) (exact: power-of-two division), lo = v - hi * 2^24, acc_a = lo - 256 * sum x
  #layer(x: Uint8Array, p: Float64Array, out: Uint8Array): void {
    const xs = this.#x;
    let sum = 0;
    for (let k = 0; k < N; k++) {
      xs[k] = x[k]!;
      sum += x[k]!;
    }
    const bias = 256 * sum;
    for (let m = 0; m < H; m++) {
      const row = m * N;
      // Four partial sums: shorter dependency chains; each stays an exact integer.
      let v0 = 0;
      let v1 = 0;
      let v2 = 0;
      let v3 = 0;
      for (let k = 0; k < N; k += 4) {
        v0 += xs[k]! * p[row + k]!;
        v1 += xs[k + 1]! * p[row + k + 1]!;
        v2 += xs[k + 2]! * p[row + k + 2]!;
        v3 += xs[k + 3]! * p[row + k + 3]!;
      }
      const v = v0 + v1 + v2 + v3;
      const hi = Math.floor(v / TWO24);
      const lo = v - hi * TWO24 - bias;
      out[2 * m] = Math.imul(lo, NDE_MIX) >>> NDE_MIX_SHIFT;
      out[2 * m + 1] = Math.imul(hi, NDE_MIX) >>> NDE_MIX_SHIFT;
    }
  }

  /** Encrypts (`decrypt` false) or decrypts `data` as chunk `index` into `out` (same length). */
  run(index: number, data: Uint8Array, out: Uint8Array, decrypt: boolean): void {
    const h = this.#h;
    const a1 = this.#a1;
    const ks = this.#ks;
    _deriveIv(this.#params.prk, index, h);
    for (let off = 0; off < data.length; off += N) {
      const len = Math.min(N, data.length - off);
      this.#layer(h, this.#wz1, a1);
      this.#layer(a1, this.#wz2, ks);
      if (decrypt) {
        for (let j = 0; j < len; j++) {
          const c = data[off + j]!;
          out[off + j] = (c - ks[j]!) & 0xff;
          h[j] = (a1[j]! + c) & 0xff;
        }
      } else {
        for (let j = 0; j < len; j++) {
          const c = (data[off + j]! + ks[j]!) & 0xff;
          out[off + j] = c;
          h[j] = (a1[j]! + c) & 0xff;
        }
      }
      // Bytes past the end of a partial block are zero: c[j] = 0 when decrypting, ks[j] when encrypting.
      // The state after the last block is never used, so they do not matter; set them as the ONNX graph does.
      for (let j = len; j < N; j++) h[j] = (a1[j]! + (decrypt ? 0 : ks[j]!)) & 0xff;
    }
  }

  wipe(): void {
    this.#wz1.fill(0);
    this.#wz2.fill(0);
    this.#x.fill(0);
    this.#h.fill(0);
    this.#a1.fill(0);
    this.#ks.fill(0);
  }
}

/** The synchronous reference backend of one NDE version (v1: this file is the specification; v2: docs/nde-v2-spec.md). */
export interface NdeReferenceBackend extends NdeBackend {
  /**
   * Encrypts one chunk synchronously. Output length = input length.
   * @param key - 32-byte NDE key
   * @param salt - envelope salt (0..1024 bytes)
   * @param index - chunk index, a non-negative safe integer
   * @param data - plaintext of any length
   * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` on a bad argument
   */
  encryptChunk(key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array): Uint8Array;
  /** Decrypts one chunk synchronously; see {@link NdeReferenceBackend.encryptChunk}. */
  decryptChunk(key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array): Uint8Array;
}

function createReferenceBackend(): NdeReferenceBackend {
  return _createKernelBackend(1, new _ParamCache(), (params) => new _ReferenceKernel(params));
}

/**
 * The pure-TypeScript backend of NDE **v1** (no dependencies beyond @noble/hashes; runs in browsers).
 * It is the v1 specification: the ONNX v1 backend must match it byte for byte. For v2 use
 * {@link referenceBackendV2}.
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@nqc/nde';
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const salt = crypto.getRandomValues(new Uint8Array(16));
 * const ct = referenceBackend.encryptChunk(key, salt, 0, new TextEncoder().encode('hello'));
 * const pt = referenceBackend.decryptChunk(key, salt, 0, ct);
 * ```
 */
export const referenceBackend: NdeReferenceBackend = createReferenceBackend();

/**
 * The pure-TypeScript backend of NDE **v2** (docs/nde-v2-spec.md): the v2 reference that the
 * WebAssembly and ONNX v2 backends must match byte for byte.
 *
 * @example
 * ```ts
 * import { referenceBackendV2 } from '@nqc/nde';
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const salt = crypto.getRandomValues(new Uint8Array(16));
 * const ct = referenceBackendV2.encryptChunk(key, salt, 0, new TextEncoder().encode('hello'));
 * const pt = referenceBackendV2.decryptChunk(key, salt, 0, ct);
 * ```
 */
export const referenceBackendV2: NdeReferenceBackend = _createReferenceBackendV2();

/** Options of {@link createReferenceNde}. */
export interface CreateReferenceNdeOptions {
  /**
   * NDE construction version; default **1** for now, so that existing callers keep producing v1
   * bytes. (The default becomes `NDE_DEFAULT_VERSION` once `@nqc/core` writes v2 envelopes; pass
   * the version explicitly to be independent of that change.)
   */
  version?: NdeVersion;
}

/**
 * Creates a fresh reference backend with its own parameter cache (use one per key holder if you want
 * `close()` to wipe only your secrets).
 *
 * @param opts - `version` (1 or 2; default 1)
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` for a version other than 1 or 2
 * @example
 * ```ts
 * import { createReferenceNde } from '@nqc/nde';
 * const nde = createReferenceNde({ version: 2 });
 * const ct = nde.encryptChunk(new Uint8Array(32), new Uint8Array(0), 0, new Uint8Array(1000));
 * await nde.close();
 * ```
 */
export function createReferenceNde(opts: CreateReferenceNdeOptions = {}): NdeReferenceBackend {
  const version = _checkVersion(opts?.version === undefined ? 1 : opts.version);
  return version === 2 ? _createReferenceBackendV2() : createReferenceBackend();
}
