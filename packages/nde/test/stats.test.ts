// Statistical hygiene of NDE v1 (checks and bounds: test/stats.ts). Passing these proves nothing
// about security; failing them proves a bug.
import { describe, expect, it } from '@jest/globals';
import { createReferenceNde } from '../src/index.js';
import { testBytes } from './helpers.js';
import { checkAvalanche, flipBit, itAvalanchesOnKeySaltAndIndex, itHasKeystreamStatistics, zeroKeystream } from './stats.js';

const nde = createReferenceNde();

const zeros = new Uint8Array(256);

describe('avalanche: one input bit flips about half of the later keystream bits (binomial bound)', () => {
  itAvalanchesOnKeySaltAndIndex(nde, zeros);
  it('one bit of an earlier plaintext block (keystream of the next blocks, via the ciphertext feedback)', () => {
    const key = testBytes(32, 6000);
    const salt = testBytes(16, 6001);
    checkAvalanche((t) => {
      const p = testBytes(4 * 128, 7000 + t);
      const p2 = flipBit(p, (t * 13) % 1024); // a bit of block 0
      const c = nde.encryptChunk(key, salt, t, p);
      const c2 = nde.encryptChunk(key, salt, t, p2);
      // Blocks 1..3 have equal plaintext: their ciphertexts differ exactly where their keystreams do.
      return [c.subarray(128), c2.subarray(128)];
    });
  });
  it('one bit of an earlier ciphertext block when decrypting (later plaintext blocks)', () => {
    const key = testBytes(32, 8000);
    const salt = testBytes(16, 8001);
    checkAvalanche((t) => {
      const c = testBytes(3 * 128, 9000 + t);
      const c2 = flipBit(c, (t * 29) % 1024);
      return [nde.decryptChunk(key, salt, 0, c).subarray(128), nde.decryptChunk(key, salt, 0, c2).subarray(128)];
    });
  });
});

describe('keystream statistics (the encryption of zeros; 8 chunks x 64 KiB)', () => {
  const key = testBytes(32, 42);
  const salt = testBytes(16, 43);
  const ks = zeroKeystream((i, data) => nde.encryptChunk(key, salt, i, data));
  const n = ks.length;

  itHasKeystreamStatistics(ks);

  it('the keystream of one chunk does not repeat across block boundaries or chunks', () => {
    const seen = new Set<string>();
    for (let off = 0; off < n; off += 128) seen.add(Buffer.from(ks.subarray(off, off + 16)).toString('hex'));
    expect(seen.size).toBe(n / 128);
  });
});
