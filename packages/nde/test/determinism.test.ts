// Determinism guard. NDE is only usable if every machine computes the same bytes. docs/format-rationale.md (integer-only inner layer):
// uint8 x uint8 MatMulInteger is exact everywhere; uint8 x int8 is not on AVX2 CPUs without VNNI,
// whose vpmaddubsw saturates each pair sum a0*b0 + a1*b1 to int16. These tests (1) show that a kernel
// whose pair sums saturate gives different bytes for this network, so the golden vectors and the ONNX
// self-test would catch it, and (2) check that every derived weight and bias, and every accumulator,
// lies in the range that is exact on every path.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NDE_BLOCK_SIZE as N } from '../src/constants.js';
import { _deriveIv, _deriveParams } from '../src/derive.js';
import { referenceBackend } from '../src/index.js';
import { goldenVectors } from './helpers.js';
import { sigma } from './spec.js';

const INT16_MAX = 32767;
const INT16_MIN = -32768;
const sat16 = (v: number): number => Math.max(INT16_MIN, Math.min(INT16_MAX, v));

/** A dense layer computed the way a kernel does it: pair sums (optionally saturated), then int32 adds. */
function pairLayer(x: Uint8Array, w: Int16Array, saturate: boolean): Uint8Array {
  const out = new Uint8Array(N);
  for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let k = 0; k < N; k += 2) {
      const pair = x[k]! * w[k * N + j]! + x[k + 1]! * w[(k + 1) * N + j]!;
      acc = (acc + (saturate ? sat16(pair) : pair)) | 0;
    }
    out[j] = sigma(acc);
  }
  return out;
}

/** NDE v1 encryption with a pluggable pair-sum kernel (w - z as the effective weights). */
function encryptWith(key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array, saturate: boolean, weights?: (w: Uint8Array, z: Uint8Array) => Int16Array): Uint8Array {
  const p = _deriveParams(key, salt);
  const eff = weights ?? ((w: Uint8Array, z: Uint8Array) => Int16Array.from(w, (v, i) => v - z[i % N]!));
  const w1 = eff(p.w1, p.z1);
  const w2 = eff(p.w2, p.z2);
  const h = new Uint8Array(N);
  _deriveIv(p.prk, index, h);
  const out = new Uint8Array(data.length);
  for (let off = 0; off < data.length; off += N) {
    const a1 = pairLayer(h, w1, saturate);
    const ks = pairLayer(a1, w2, saturate);
    for (let j = 0; j < N; j++) {
      const d = off + j < data.length ? data[off + j]! : 0;
      const o = (d + ks[j]!) % 256;
      if (off + j < data.length) out[off + j] = o;
      h[j] = (a1[j]! + o) % 256;
    }
  }
  return out;
}

const golden = goldenVectors().vectors.find((v) => v.name === 'good_partial_last_block')!;

describe('determinism guard', () => {
  it('the exact pair-sum kernel reproduces the golden vector', () => {
    expect(encryptWith(golden.key, golden.salt, golden.index, golden.plaintext, false)).toEqual(golden.ciphertext);
  });

  it('a kernel that saturates pair sums to int16 changes the ciphertext (so the golden vectors and the self-test catch it)', () => {
    const saturated = encryptWith(golden.key, golden.salt, golden.index, golden.plaintext, true);
    expect(saturated).not.toEqual(golden.ciphertext);
    let differing = 0;
    for (let i = 0; i < saturated.length; i++) if (saturated[i] !== golden.ciphertext[i]) differing++;
    expect(differing).toBeGreaterThan(golden.plaintext.length / 2);
  });

  it('signed full-range weights (what uint8 x int8 would need) are not exact under saturation; [-64, 63] is', () => {
    const key = new Uint8Array(32).fill(3);
    const salt = new Uint8Array(8);
    const data = new Uint8Array(256);
    const full = (w: Uint8Array) => Int16Array.from(w, (v) => v - 128); // int8 [-128, 127]
    const small = (w: Uint8Array) => Int16Array.from(w, (v) => (v & 127) - 64); // int8 [-64, 63]
    expect(encryptWith(key, salt, 0, data, true, full)).not.toEqual(encryptWith(key, salt, 0, data, false, full));
    expect(encryptWith(key, salt, 0, data, true, small)).toEqual(encryptWith(key, salt, 0, data, false, small));
  });

  it('every derived weight and bias is uint8, and every accumulator is exact on every kernel path', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (key, salt) => {
        const p = _deriveParams(key, salt);
        for (const [w, z] of [
          [p.w1, p.z1],
          [p.w2, p.z2],
        ] as const) {
          // uint8 x uint8 only: no signed weights anywhere.
          expect(w).toBeInstanceOf(Uint8Array);
          expect(z).toBeInstanceOf(Uint8Array);
          expect([w.length, z.length]).toEqual([N * N, N]);
          let maxAbs = 0;
          let maxAcc = 0;
          let maxLow = 0;
          for (let j = 0; j < N; j++) {
            let worst = 0; // the largest |accumulator| any uint8 input can produce for column j
            let worstLow = 0; // the reference backend's packed float64 low part, sum 255 * (w - z + 256)
            for (let k = 0; k < N; k++) {
              const d = w[k * N + j]! - z[j]!;
              maxAbs = Math.max(maxAbs, Math.abs(d));
              worst += 255 * Math.abs(d);
              worstLow += 255 * (d + 256);
            }
            maxAcc = Math.max(maxAcc, worst);
            maxLow = Math.max(maxLow, worstLow);
          }
          // Effective weight fits int16 (zero-extended 16-bit kernels), so a pair sum fits int32.
          expect(maxAbs).toBeLessThanOrEqual(255);
          expect(maxAcc).toBeLessThan(2 ** 31); // int32 accumulator never wraps or saturates
          expect(maxLow).toBeLessThan(2 ** 24); // reference packing stays exact
        }
      }),
      { numRuns: 20 },
    );
  });

  it('the reference backend agrees with the exact pair-sum kernel on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(2 ** 32), fc.uint8Array({ maxLength: 300 }), (key, index, data) => {
        const salt = new Uint8Array(16);
        expect(referenceBackend.encryptChunk(key, salt, index, data)).toEqual(encryptWith(key, salt, index, data, false));
      }),
      { numRuns: 15 },
    );
  });
});
