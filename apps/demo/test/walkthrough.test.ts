import { describe, expect, it } from '@jest/globals';
import { abbreviate, runWalkthrough } from '../src/index.js';

describe('walkthrough', () => {
  it('every step behaves as expected and the output tells the whole story', async () => {
    const lines: string[] = [];
    const result = await runWalkthrough((l) => lines.push(l));
    expect(result).toEqual({
      bothUnwrapped: true,
      strangerRefused: true,
      signatureValid: true,
      tamperedRejected: true,
      envelope: { opened: true, signatureVerified: true, tamperedRejected: true, strangerRejected: true },
      cloud: { sumExact: true, meanExact: true, recordOpened: true },
      ok: true,
    });
    const text = lines.join('\n');
    expect(text).toMatch(/Alice's recipient: nqc-xwing-1\w{8}…\w{8} \([\d,]+ chars\)/);
    expect(text).toContain('stanza type=xwing');
    expect(text).toContain('Alice: file key recovered');
    expect(text).toContain('Bob: file key recovered');
    expect(text).toContain('"not mine" (null)');
    expect(text).toContain('tampered message verifies: no (rejected)');
    expect(text).toContain('Bob decrypts it: the report, byte for byte; signature by Alice verified');
    expect(text).toMatch(/total age 431 \(plaintext: 431\), mean bill 378\.61125 \(plaintext: 378\.61125\)/);
    expect(text).toContain('All steps behaved as expected.');
    expect(text).not.toMatch(/SECRET/); // the walkthrough never prints secret keys
  }, 180_000); // the whole story: keygen, envelopes, SEAL keys and sums; sized for a loaded machine

  it('abbreviate keeps the prefix and both ends', () => {
    expect(abbreviate('nqc-xwing-1abcdefghijklmnopqrstuvwxyz', 4)).toBe('nqc-xwing-1abcd…wxyz (37 chars)');
  });
});
