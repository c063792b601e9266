// The NDE v1 specification written as plainly as possible (int32 loops, no packing tricks), to check
// the optimised reference backend against. Uses the same key schedule (src/derive.ts).
import { NDE_BLOCK_SIZE as N, NDE_MIX, NDE_MIX_SHIFT } from '../src/constants.js';
import { _deriveIv, _deriveParams } from '../src/derive.js';

export function sigma(acc: number): number {
  return Math.imul(acc, NDE_MIX) >>> NDE_MIX_SHIFT;
}

/** One dense layer: out[j] = sigma(sum_k x[k] * (w[k][j] - z[j])), accumulators as int32. */
export function layer(x: Uint8Array, w: Uint8Array, z: Uint8Array): { out: Uint8Array; acc: Int32Array } {
  const acc = new Int32Array(N);
  const out = new Uint8Array(N);
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < N; k++) s += x[k]! * (w[k * N + j]! - z[j]!);
    acc[j] = s;
    out[j] = sigma(s);
  }
  return { out, acc };
}

export function specCrypt(key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array, decrypt: boolean): Uint8Array {
  const p = _deriveParams(key, salt);
  const h = new Uint8Array(N);
  _deriveIv(p.prk, index, h);
  const out = new Uint8Array(data.length);
  for (let off = 0; off < data.length; off += N) {
    const d = new Uint8Array(N);
    d.set(data.subarray(off, off + N));
    const a1 = layer(h, p.w1, p.z1).out;
    const ks = layer(a1, p.w2, p.z2).out;
    for (let j = 0; j < N; j++) {
      const o = decrypt ? (d[j]! - ks[j]! + 256) % 256 : (d[j]! + ks[j]!) % 256;
      if (off + j < data.length) out[off + j] = o;
      h[j] = (a1[j]! + (decrypt ? d[j]! : o)) % 256;
    }
  }
  return out;
}
