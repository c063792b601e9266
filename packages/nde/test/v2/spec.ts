// NDE v2 written as plainly as docs/nde-v2-spec.md states it (one int32 accumulator per output, no
// packing), to check the fast reference kernel against. Shares only the key schedule (src/v2/derive.ts).
import { NDE_MIX, NDE_MIX_SHIFT } from '../../src/constants.js';
import { _deriveIvV2, _deriveParamsV2 } from '../../src/v2/derive.js';

const S = 64;
const H = 64;
const K = 512;
const O = 576;

export function sigma(acc: number): number {
  return Math.imul(acc, NDE_MIX) >>> NDE_MIX_SHIFT;
}

/** out[j] = sigma(sum_k x[k] * (w[k*cols + j] - z[j])) for j < cols. */
export function layer(x: Uint8Array, w: Uint8Array, z: Uint8Array, cols: number): Uint8Array {
  const out = new Uint8Array(cols);
  for (let j = 0; j < cols; j++) {
    let acc = 0;
    for (let k = 0; k < x.length; k++) acc += x[k]! * (w[k * cols + j]! - z[j]!);
    out[j] = sigma(acc);
  }
  return out;
}

/** One step: keystream (512) and carry (64) from state s. */
export function step(s: Uint8Array, p: ReturnType<typeof _deriveParamsV2>): { ks: Uint8Array; u: Uint8Array } {
  const a = layer(s, p.w1, p.z1, H);
  const y = layer(a, p.w2, p.z2, O);
  return { ks: y.subarray(0, K), u: y.subarray(K, O) };
}

/** Next state: s'[j] = (u[j] + sum_{m<8} c[64m + j]) mod 256, c one full 512-byte ciphertext block. */
export function nextState(u: Uint8Array, c: Uint8Array): Uint8Array {
  const s = new Uint8Array(S);
  for (let j = 0; j < S; j++) {
    let v = u[j]!;
    for (let m = 0; m < K / S; m++) v += c[S * m + j]!;
    s[j] = v % 256;
  }
  return s;
}

export function specCryptV2(key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array, decrypt: boolean): Uint8Array {
  const p = _deriveParamsV2(key, salt);
  let s: Uint8Array = new Uint8Array(S);
  _deriveIvV2(p.prk, index, s);
  const out = new Uint8Array(data.length);
  for (let off = 0; off < data.length; off += K) {
    const { ks, u } = step(s, p);
    const len = Math.min(K, data.length - off);
    const c = new Uint8Array(K);
    for (let i = 0; i < len; i++) {
      const d = data[off + i]!;
      out[off + i] = decrypt ? (d - ks[i]! + 256) % 256 : (d + ks[i]!) % 256;
      c[i] = decrypt ? d : out[off + i]!;
    }
    if (len === K) s = nextState(u, c);
  }
  return out;
}
