// Statistical hygiene of NDE v2 (test/stats.test.ts for v1). Passing these proves nothing about
// security; failing them proves a bug.
//
// Bounds come from the binomial distribution, not from guesses: under the ideal model each compared
// bit flips independently with probability 1/2, so the number of flips X ~ Binomial(n, 1/2), and
// Hoeffding's inequality gives P(|X - n/2| >= t) <= 2 exp(-2 t^2 / n). Each check uses t for a false
// alarm probability ALPHA = 1e-9, so the suite is deterministic in practice (fixed seeds besides).
import { describe, expect, it } from '@jest/globals';
import { createReferenceNde } from '../../src/index.js';
import { testBytes } from '../helpers.js';

const ALPHA = 1e-9;
const nde = createReferenceNde({ version: 2 });
const STEP = 512;

/** Hoeffding half-width for n fair Bernoulli trials at false-alarm probability alpha. */
function hoeffding(n: number, alpha = ALPHA): number {
  return Math.sqrt((n * Math.log(2 / alpha)) / 2);
}

function popcount8(x: number): number {
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return (x + (x >> 4)) & 0x0f;
}

function diffBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += popcount8(a[i]! ^ b[i]!);
  return n;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

const TRIALS = 40;

/**
 * Runs TRIALS avalanche trials; each returns the two outputs to compare. Checks the total and each
 * trial against the binomial bound (per-trial alpha split over the trials).
 */
function checkAvalanche(trial: (t: number) => [Uint8Array, Uint8Array]): { ratio: number } {
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

const zeros = new Uint8Array(3 * STEP); // three steps: the first, and two after a state update

describe('avalanche: one input bit flips about half of the later keystream bits (binomial bound)', () => {
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
  it('one bit of an earlier plaintext step (keystream of the next steps, via the ciphertext feedback)', () => {
    const key = testBytes(32, 6000);
    const salt = testBytes(16, 6001);
    checkAvalanche((t) => {
      const p = testBytes(4 * STEP, 7000 + t);
      const p2 = flipBit(p, (t * 97) % (8 * STEP)); // a bit of step 0
      const c = nde.encryptChunk(key, salt, t, p);
      const c2 = nde.encryptChunk(key, salt, t, p2);
      // Steps 1..3 have equal plaintext: their ciphertexts differ exactly where their keystreams do.
      return [c.subarray(STEP), c2.subarray(STEP)];
    });
  });
  it('one bit of an earlier ciphertext step when decrypting (later plaintext steps)', () => {
    const key = testBytes(32, 8000);
    const salt = testBytes(16, 8001);
    checkAvalanche((t) => {
      const c = testBytes(3 * STEP, 9000 + t);
      const c2 = flipBit(c, (t * 211) % (8 * STEP));
      return [nde.decryptChunk(key, salt, 0, c).subarray(STEP), nde.decryptChunk(key, salt, 0, c2).subarray(STEP)];
    });
  });
  it('one bit of the last ciphertext byte of a step (the lane sums see every position)', () => {
    const key = testBytes(32, 8100);
    const salt = testBytes(16, 8101);
    checkAvalanche((t) => {
      const c = testBytes(2 * STEP, 9100 + t);
      const c2 = flipBit(c, 8 * (STEP - 1 - (t % 64)) + (t % 8));
      return [nde.decryptChunk(key, salt, t, c).subarray(STEP), nde.decryptChunk(key, salt, t, c2).subarray(STEP)];
    });
  });
});

describe('keystream statistics (the encryption of zeros; 8 chunks x 64 KiB)', () => {
  const key = testBytes(32, 42);
  const salt = testBytes(16, 43);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) parts.push(nde.encryptChunk(key, salt, i, new Uint8Array(65536)));
  const ks = new Uint8Array(8 * 65536);
  parts.forEach((p, i) => ks.set(p, i * 65536));
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

  it('every byte position of a step is unbiased: its mean over 1024 steps is within the Hoeffding bound of 127.5', () => {
    // Each keystream position j has its own key-derived weight column: a bad column would show here.
    const steps = n / STEP;
    const t = 255 * Math.sqrt(Math.log(2 / (ALPHA / STEP)) / (2 * steps));
    for (let j = 0; j < STEP; j++) {
      let sum = 0;
      for (let off = j; off < n; off += STEP) sum += ks[off]!;
      expect(Math.abs(sum / steps - 127.5)).toBeLessThanOrEqual(t);
    }
  });

  it('the keystream of one chunk does not repeat across step boundaries or chunks', () => {
    const seen = new Set<string>();
    for (let off = 0; off < n; off += STEP) seen.add(Buffer.from(ks.subarray(off, off + 16)).toString('hex'));
    expect(seen.size).toBe(n / STEP);
  });
});
