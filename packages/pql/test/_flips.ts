import { expect } from '@jest/globals';
import { generateIdentity, NqcPqlError, type Stanza } from '../src/index.js';

/** Outcome of an unwrap attempt: the file key must never come back from a tampered stanza. */
function attempt(open: (s: Stanza[]) => Uint8Array | null, s: Stanza): 'null' | 'typed-error' | 'KEY' {
  try {
    return open([s]) === null ? 'null' : 'KEY';
  } catch (e) {
    if (e instanceof NqcPqlError) return 'typed-error';
    throw e;
  }
}

/**
 * Which body bits to flip. With NQC_PQL_EXHAUSTIVE=1 or NQC_TEST_TIER=exhaustive (`pnpm test:exhaustive`, root `npm run test:exhaustive`): every bit of
 * the body. By default (to keep CI fast on 2 shared cores: an exhaustive X-Wing run is ~9,300
 * decapsulations, ~40 s): every bit of the last `fullTail` bytes (the sealed file key, plus the
 * X25519 share for X-Wing) and one bit of every other byte, rotating through the 8 positions.
 */
function bitsToFlip(bodyLength: number, fullTail: number): number[] {
  const bits: number[] = [];
  const all = process.env.NQC_PQL_EXHAUSTIVE === '1' || process.env.NQC_TEST_TIER === 'exhaustive';
  for (let byte = 0; byte < bodyLength; byte++) {
    if (all || byte >= bodyLength - fullTail) for (let b = 0; b < 8; b++) bits.push(byte * 8 + b);
    else bits.push(byte * 8 + (byte % 8));
  }
  return bits;
}

export function exhaustiveFlips(alg: string, fullTail: number): void {
  const id = generateIdentity(alg);
  const fileKey = crypto.getRandomValues(new Uint8Array(32));
  const open = (s: Stanza[]) => id.unwrapFileKey(s);
  for (const hint of [true, false]) {
    const good = id.recipient({ hint }).wrapFileKey(fileKey)[0]!;
    expect(open([good])).toEqual(fileKey);
    // Body: every bit (only the hinted stanza: the body handling does not depend on the hint).
    if (hint) {
      let accepted = 0;
      const body = good.body.slice();
      const bits = bitsToFlip(body.length, fullTail);
      expect(bits.length).toBeGreaterThanOrEqual(body.length + 7 * fullTail);
      for (const i of bits) {
        body[i >> 3]! ^= 1 << (i & 7);
        if (attempt(open, { ...good, body }) === 'KEY') accepted++;
        body[i >> 3]! ^= 1 << (i & 7);
      }
      expect(accepted).toBe(0);
    }
    // Type: every bit of every character.
    for (let i = 0; i < good.type.length * 7; i++) {
      const ci = Math.floor(i / 7);
      const ch = String.fromCharCode(good.type.charCodeAt(ci) ^ (1 << (i % 7)));
      const type = good.type.slice(0, ci) + ch + good.type.slice(ci + 1);
      expect(attempt(open, { ...good, type: /^[\x21-\x7e]+$/.test(type) ? type : 'x' })).not.toBe('KEY');
    }
    // Args: every bit of every character of the hint (a flip can give a non-printable character,
    // which the stanza checks refuse as invalid input), an added argument, a hint naming another key.
    // (Removing a hint is not tampering: a hint-less stanza is the documented anonymous form.)
    for (let a = 0; a < good.args.length; a++) {
      const arg = good.args[a]!;
      for (let i = 0; i < arg.length * 7; i++) {
        const ci = Math.floor(i / 7);
        const ch = String.fromCharCode(arg.charCodeAt(ci) ^ (1 << (i % 7)));
        const args = [...good.args];
        args[a] = arg.slice(0, ci) + ch + arg.slice(ci + 1);
        expect(attempt(open, { ...good, args })).not.toBe('KEY');
      }
    }
    expect(attempt(open, { ...good, args: [...good.args, 'extra'] })).not.toBe('KEY');
    expect(attempt(open, { ...good, args: [id.keyId === 'ffffffff' ? '00000000' : 'ffffffff'] })).not.toBe('KEY');
  }
}
