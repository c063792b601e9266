import { describe, expect, it } from '@jest/globals';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import {
  decodeKeyString,
  encodeKeyString,
  generateIdentity,
  keyStringPrefix,
  NqcPqlError,
  parseIdentity,
  parseRecipient,
  parseSigningKey,
  parseVerifyingKey,
  SigningKey,
} from '../src/index.js';

function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NqcPqlError)) throw e;
    expect(e.code).toBe('ERR_PQL_KEY_STRING');
    return e.message;
  }
  throw new Error('expected an error');
}

const id = generateIdentity('xwing');
const recipient = id.recipient().toString();
const secret = id.toString();
const sk = SigningKey.fromSeed('mldsa65', new Uint8Array(32).fill(3));
const vk = sk.verifyingKey().toString();

describe('key strings', () => {
  it('good: prefixes name the kind and algorithm; public lower case, secret upper case', () => {
    expect(recipient).toMatch(/^nqc-xwing-1[02-9ac-hj-np-z]+$/);
    expect(secret).toMatch(/^NQC-SECRET-XWING-1[02-9AC-HJ-NP-Z]+$/);
    expect(vk.startsWith('nqc-pub-mldsa65-1')).toBe(true);
    expect(sk.toString().startsWith('NQC-SIGN-SECRET-MLDSA65-1')).toBe(true);
    expect(keyStringPrefix('identity', 'mlkem1024')).toBe('NQC-SECRET-MLKEM1024-');
    expect(decodeKeyString(recipient)).toMatchObject({ kind: 'recipient', algorithm: 'xwing' });
    expect(parseVerifyingKey(vk).publicKey).toEqual(sk.publicKey);
    expect(parseSigningKey(sk.toString()).publicKey).toEqual(sk.publicKey);
    expect(recipient.length).toBeGreaterThan(1900); // long: the 90-char Bech32 limit is lifted
  });

  it('fail_checksum: every single-character substitution is caught (property)', () => {
    fc.assert(
      fc.property(fc.nat(recipient.length - 1 - 'nqc-xwing-1'.length), fc.constantFrom(...'qpzry9x8gf2tvdw0s3jn54khce6mua7l'), (i, c) => {
        const pos = 'nqc-xwing-1'.length + i;
        fc.pre(recipient[pos] !== c);
        const bad = recipient.slice(0, pos) + c + recipient.slice(pos + 1);
        expect(err(() => parseRecipient(bad))).toMatch(/bad checksum/);
      }),
      { numRuns: 200 },
    );
  });

  it('fail_truncated and fail_swapped: caught', () => {
    expect(err(() => parseRecipient(recipient.slice(0, -1)))).toMatch(/bad checksum/);
    const i = 40;
    const swapped = recipient.slice(0, i) + recipient[i + 1] + recipient[i] + recipient.slice(i + 2);
    if (swapped !== recipient) expect(err(() => parseRecipient(swapped))).toMatch(/bad checksum/);
  });

  it('fail_*: precise errors for each malformation', () => {
    expect(err(() => parseRecipient(''))).toBe('empty key string');
    expect(err(() => parseRecipient(` ${recipient}`))).toBe('key string contains whitespace');
    expect(err(() => parseRecipient(recipient.slice(0, 20) + recipient.slice(20).toUpperCase()))).toBe(
      'key string mixes upper and lower case',
    );
    expect(err(() => parseRecipient('nqc-xwing-qqqq'))).toBe('key string has no "1" separator after a prefix');
    expect(err(() => parseRecipient('age1qqqqqqqqqqqq'))).toBe('not an nqc key string: prefix "age"');
    expect(err(() => parseRecipient('nqc-rsa-1qqqqqqqqqq'))).toBe('unknown key type prefix "nqc-rsa-"');
    expect(err(() => parseRecipient(secret))).toBe('expected a recipient, got a xwing secret identity');
    expect(err(() => parseIdentity(recipient))).toBe('expected a secret identity, got a xwing recipient');
    expect(err(() => parseIdentity(secret.toLowerCase()))).toBe('a secret identity string must be upper case');
    expect(err(() => parseRecipient(recipient.toUpperCase()))).toBe('a recipient string must be lower case');
    expect(err(() => parseRecipient('nqc-xwing-1qqb'))).toBe('key string too short for its checksum');
    expect(err(() => parseRecipient(`nqc-xwing-1${'q'.repeat(20)}b${'q'.repeat(10)}`))).toBe(
      'invalid character "b" at position 31',
    );
    expect(err(() => parseRecipient(`nqc-xwing-1${'q'.repeat(20_000)}`))).toMatch(/^key string too long/);
    expect(err(() => parseRecipient(42 as unknown as string))).toBe('key string expected string, got number');
  });

  it('fail_wrong_length: a valid checksum over the wrong number of bytes is refused', () => {
    for (const n of [0, 1215, 1217]) {
      const s = bech32.encode('nqc-xwing-', bech32.toWords(new Uint8Array(n)), false);
      expect(err(() => parseRecipient(s))).toBe(`a xwing recipient is 1216 bytes, got ${n}`);
    }
    const s = bech32.encode('nqc-secret-xwing-', bech32.toWords(new Uint8Array(31)), false).toUpperCase();
    expect(err(() => parseIdentity(s))).toBe('a xwing secret identity is 32 bytes, got 31');
  });

  it('encodeKeyString refuses wrong lengths and unknown algorithms', () => {
    expect(() => encodeKeyString('recipient', 'xwing', new Uint8Array(3))).toThrow(/length 1216/);
    expect(() => encodeKeyString('recipient', 'rsa', new Uint8Array(3))).toThrow(/unknown KEM algorithm/);
  });
});
