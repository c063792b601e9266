/**
 * The fast exact TypeScript kernel of NDE v2 (docs/nde-v2-spec.md, "One chunk").
 *
 * Both layers are `out[j] = sigma(sum_k x[k] * (w[k][j] - z[j]))` with 64 byte inputs. Two output
 * columns share one float64 (v1's trick, see `src/reference.ts`):
 *
 *   p(m, k) = (wz[k][2m] + 256) + wz[k][2m+1] * 2^24,    wz = w - z in [-255, 255]
 *   v = sum_k x[k] * p(m, k) = lo + 2^24 * hi,   lo = sum_k x[k] * (wz_a + 256) in [0, 64*255*511] < 2^23
 *   hi = floor(v / 2^24) = acc_b,   acc_a = lo - 256 * sum_k x[k]
 *
 * |v| < 2^47, every partial sum is an integer, so float64 arithmetic is exact: 40 float multiply-adds
 * per keystream byte instead of 80 int32 ones. (Table layout: {@link _packWeightsV2}.)
 */
import { NDE_MIX, NDE_MIX_SHIFT } from '../constants.js';
import { NDE_V2_BLOCK_SIZE as K, NDE_V2_HIDDEN as H, NDE_V2_OUTPUTS as O, NDE_V2_STATE as S } from './constants.js';
import { _deriveIvV2, type NdeParamsV2 } from './derive.js';

const TWO24 = 2 ** 24;
const IN = 64; // inputs of both layers (S = H = 64)

/** Unpacks one column pair's sum v (see the file comment) into out[at] = sigma(acc_a), out[at+1] = sigma(acc_b). */
function split(v: number, bias: number, out: Uint8Array, at: number): void {
  const hi = Math.floor(v / TWO24);
  const lo = v - hi * TWO24 - bias;
  out[at] = Math.imul(lo, NDE_MIX) >>> NDE_MIX_SHIFT;
  out[at + 1] = Math.imul(hi, NDE_MIX) >>> NDE_MIX_SHIFT;
}

/**
 * Packs (w - z) of a [64][cols] layer two columns per float64, in groups of four column pairs
 * interleaved by input: pair m, input k at `out[(m >> 2) * 256 + k * 4 + (m & 3)]`, so the layer loop
 * reads one contiguous run of memory. @internal
 */
export function _packWeightsV2(w: Uint8Array, z: Uint8Array, cols: number, out: Float64Array): void {
  for (let m = 0; m < cols / 2; m++) {
    for (let k = 0; k < IN; k++) {
      const a = w[k * cols + 2 * m]! - z[2 * m]!;
      const b = w[k * cols + 2 * m + 1]! - z[2 * m + 1]!;
      out[(m >> 2) * 4 * IN + k * 4 + (m & 3)] = a + 256 + b * TWO24;
    }
  }
}

// out[j] = sigma(sum_k x[k] * wz[k][j]) for j < 2 * pairs (pairs a multiple of 4). Four column
// pairs per pass share each x[k] load and read the packed table sequentially: measured 2-3x the
// one-pair-per-pass loop of v1 on V8 (Node 20).
// (A module function, not a method: measured ~7% faster on V8.) xs: 64 float64 of scratch.
function layer(x: Uint8Array, xs: Float64Array, p: Float64Array, pairs: number, out: Uint8Array): void {
  let sum = 0;
  for (let k = 0; k < IN; k++) {
    xs[k] = x[k]!;
    sum += x[k]!;
  }
  const bias = 256 * sum;
  for (let m = 0, r = 0; m < pairs; m += 4) {
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    for (let k = 0; k < IN; k++, r += 4) {
      const xk = xs[k]!;
      v0 += xk * p[r]!;
      v1 += xk * p[r + 1]!;
      v2 += xk * p[r + 2]!;
      v3 += xk * p[r + 3]!;
    }
    split(v0, bias, out, 2 * m);
    split(v1, bias, out, 2 * m + 2);
    split(v2, bias, out, 2 * m + 4);
    split(v3, bias, out, 2 * m + 6);
  }
}

/** Per-(key, salt) packed tables and scratch state of the v2 reference loop. @internal */
export class _KernelV2 {
  readonly #p1 = new Float64Array((H / 2) * IN);
  readonly #p2 = new Float64Array((O / 2) * IN);
  readonly #x = new Float64Array(IN);
  readonly #s = new Uint8Array(S);
  readonly #a = new Uint8Array(H);
  readonly #y = new Uint8Array(O);
  readonly #prk: Uint8Array;

  constructor(params: NdeParamsV2) {
    this.#prk = params.prk;
    _packWeightsV2(params.w1, params.z1, H, this.#p1);
    _packWeightsV2(params.w2, params.z2, O, this.#p2);
  }

  /**
   * Encrypts (`decrypt` false) or decrypts `data` as chunk `index` into `out` (same length).
   * With `state` given, starts from it instead of iv(index), and leaves in it the state after the
   * last full step (for segmented runs; callers cut only at multiples of 512 bytes).
   */
  run(index: number, data: Uint8Array, out: Uint8Array, decrypt: boolean, state?: Uint8Array): void {
    const s = this.#s;
    const a = this.#a;
    const y = this.#y;
    if (state) s.set(state);
    else _deriveIvV2(this.#prk, index, s);
    for (let off = 0; off < data.length; off += K) {
      layer(s, this.#x, this.#p1, H / 2, a);
      layer(a, this.#x, this.#p2, O / 2, y);
      const len = Math.min(K, data.length - off);
      if (len < K) {
        // The last, partial step: its state is never used (the spec lets implementations stop).
        if (decrypt) for (let i = 0; i < len; i++) out[off + i] = data[off + i]! - y[i]!;
        else for (let i = 0; i < len; i++) out[off + i] = data[off + i]! + y[i]!;
        break;
      }
      // One pass per lane j: the step's bytes j, 64 + j, ..., 448 + j, and their ciphertext sum.
      for (let j = 0; j < S; j++) {
        let v = y[K + j]!;
        for (let i = j; i < K; i += S) {
          const d = data[off + i]!;
          if (decrypt) {
            out[off + i] = d - y[i]!;
            v += d;
          } else {
            const c = (d + y[i]!) & 0xff;
            out[off + i] = c;
            v += c;
          }
        }
        s[j] = v;
      }
    }
    if (state) state.set(s);
  }

  wipe(): void {
    this.#p1.fill(0);
    this.#p2.fill(0);
    this.#x.fill(0);
    this.#s.fill(0);
    this.#a.fill(0);
    this.#y.fill(0);
  }
}
