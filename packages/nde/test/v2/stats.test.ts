// Statistical hygiene of NDE v2 (test/stats.test.ts for v1; checks and bounds: test/stats.ts).
// Passing these proves nothing about security; failing them proves a bug.
import { describe, expect, it } from '@jest/globals';
import { createReferenceNde } from '../../src/index.js';
import { testBytes } from '../helpers.js';
import { ALPHA, checkAvalanche, flipBit, itAvalanchesOnKeySaltAndIndex, itHasKeystreamStatistics, zeroKeystream } from '../stats.js';

const nde = createReferenceNde({ version: 2 });
const STEP = 512;

const zeros = new Uint8Array(3 * STEP); // three steps: the first, and two after a state update

describe('avalanche: one input bit flips about half of the later keystream bits (binomial bound)', () => {
  itAvalanchesOnKeySaltAndIndex(nde, zeros);
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
  const ks = zeroKeystream((i, data) => nde.encryptChunk(key, salt, i, data));
  const n = ks.length;

  itHasKeystreamStatistics(ks);

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
