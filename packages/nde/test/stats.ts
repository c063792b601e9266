// Shared statistics of test/stats.test.ts (v1) and test/v2/stats.test.ts (v2). Passing these proves
// nothing about security; failing them proves a bug.
//
// Bounds come from the binomial distribution, not from guesses: under the ideal model each compared
// bit flips independently with probability 1/2, so the number of flips X ~ Binomial(n, 1/2), and
// Hoeffding's inequality gives P(|X - n/2| >= t) <= 2 exp(-2 t^2 / n). Each check uses t for a false
// alarm probability ALPHA = 1e-9, so the suite is deterministic in practice (fixed seeds besides).
import { expect, it } from '@jest/globals';
import type { NdeReferenceBackend } from '../src/index.js';
import { testBytes } from './helpers.js';

/** False-alarm probability of each check. */
export const ALPHA = 1e-9;

/** Hoeffding half-width for n fair Bernoulli trials at false-alarm probability alpha. */
export function hoeffding(n: number, alpha = ALPHA): number {
  return Math.sqrt((n * Math.log(2 / alpha)) / 2);
}

/** Number of one bits of a byte. */
export function popcount8(x: number): number {
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return (x + (x >> 4)) & 0x0f;
}

/** Number of bits in which `a` and `b` differ (same length). */
export function diffBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += popcount8(a[i]! ^ b[i]!);
  return n;
}

/** A copy of `bytes` with bit `bit` flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

/** Avalanche trials per check. */
export const TRIALS = 40;

/**
 * Runs TRIALS avalanche trials; each returns the two outputs to compare. Checks the total and each
 * trial against the binomial bound (per-trial alpha split over the trials).
 */
export function checkAvalanche(trial: (t: number) => [Uint8Array, Uint8Array]): { ratio: number } {
  let total = 0;
  let bits = 0;
  for (let t = 0; t < TRIALS; t++) {
    const [a, b] = trial(t);
    const L = a.length * 8;
    const d = diffBits(a, b);
    const tt = hoeffding(L, ALPHA / TRIALS);
    expect(Math.abs(d - L / 2)).toBeLessThanOrEqual(tt);
    total += d;
    bits += L;
  }
  expect(Math.abs(total - bits / 2)).toBeLessThanOrEqual(hoeffding(bits));
  return { ratio: total / bits };
}

/** The keystream of 8 chunks x 64 KiB of zeros under a fixed key and salt, chunk after chunk. */
export function zeroKeystream(encryptChunk: (index: number, data: Uint8Array) => Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) parts.push(encryptChunk(i, new Uint8Array(65536)));
  const ks = new Uint8Array(8 * 65536);
  parts.forEach((p, i) => ks.set(p, i * 65536));
  return ks;
}

/**
 * Registers the keystream checks common to every version (monobit, byte frequency, serial
 * correlation) inside the caller's `describe`.
 */
export function itHasKeystreamStatistics(ks: Uint8Array): void {
  const n = ks.length;

  it('monobit: the number of one bits is Binomial(8n, 1/2)', () => {
    let ones = 0;
    for (let i = 0; i < n; i++) ones += popcount8(ks[i]!);
    expect(Math.abs(ones - 4 * n)).toBeLessThanOrEqual(hoeffding(8 * n));
  });

  it('byte frequency: each count is Binomial(n, 1/256), and chi-square with 255 degrees of freedom is in range', () => {
    const counts = new Float64Array(256);
    for (let i = 0; i < n; i++) counts[ks[i]!]!++;
    const e = n / 256;
    // Per value: Hoeffding on Binomial(n, 1/256) (loose but rigorous), alpha split over 256 values.
    const t = hoeffding(n, ALPHA / 256);
    let chi2 = 0;
    for (const c of counts) {
      expect(Math.abs(c - e)).toBeLessThanOrEqual(t);
      chi2 += ((c - e) * (c - e)) / e;
    }
    // Chi-square quantiles by the Wilson-Hilferty approximation, z = +-6 (two-sided alpha ~ 2e-9).
    const k = 255;
    const q = (z: number): number => k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
    expect(chi2).toBeGreaterThan(q(-6));
    expect(chi2).toBeLessThan(q(6));
  });

  it('serial correlation between consecutive bytes (ent) is within 6 standard deviations of 0', () => {
    let s1 = 0;
    let s2 = 0;
    let s12 = 0;
    for (let i = 0; i < n; i++) {
      const x = ks[i]!;
      const y = ks[(i + 1) % n]!;
      s1 += x;
      s2 += x * x;
      s12 += x * y;
    }
    const c = (n * s12 - s1 * s1) / (n * s2 - s1 * s1);
    // Under independence c is about Normal(-1/(n-1), 1/n).
    expect(Math.abs(c + 1 / (n - 1))).toBeLessThanOrEqual(6 / Math.sqrt(n));
  });
}

/**
 * Registers the avalanche checks common to every version (one bit of the key, of the salt, of the
 * chunk index; the keystream of `zeros` compared) inside the caller's `describe`.
 */
export function itAvalanchesOnKeySaltAndIndex(nde: NdeReferenceBackend, zeros: Uint8Array): void {
  it('one bit of the key', () => {
    checkAvalanche((t) => {
      const key = testBytes(32, 1000 + t);
      const salt = testBytes(16, 2000 + t);
      const key2 = flipBit(key, (t * 37) % 256);
      return [nde.encryptChunk(key, salt, t, zeros), nde.encryptChunk(key2, salt, t, zeros)];
    });
  });
  it('one bit of the salt', () => {
    checkAvalanche((t) => {
      const key = testBytes(32, 3000 + t);
      const salt = testBytes(16, 4000 + t);
      return [nde.encryptChunk(key, salt, 0, zeros), nde.encryptChunk(key, flipBit(salt, (t * 11) % 128), 0, zeros)];
    });
  });
  it('one bit of the chunk index', () => {
    const key = testBytes(32, 5000);
    const salt = testBytes(16, 5001);
    checkAvalanche((t) => {
      const index = (t * 7919) % 2 ** 20;
      const bit = t % 52; // stays a safe integer
      const other = Math.floor(index / 2 ** bit) % 2 === 0 ? index + 2 ** bit : index - 2 ** bit; // index with bit flipped
      return [nde.encryptChunk(key, salt, index, zeros), nde.encryptChunk(key, salt, other, zeros)];
    });
  });
}
