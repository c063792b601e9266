// Bad input → a typed NqcPqlError (or null / false where the contract says so), never another
// exception, for random and near-valid inputs.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  decodeKeyString,
  generateIdentity,
  generateSigningKey,
  Keyset,
  NqcPqlError,
  parseIdentityFile,
  serializeIdentityFile,
} from '../src/index.js';

function typedOrOk(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NqcPqlError)) throw e;
  }
}

const id = generateIdentity();
const sk = generateSigningKey();
const keyText = id.recipient().toString();
const fileText = serializeIdentityFile({ identities: [id], signingKeys: [sk] });

describe('fuzz: typed errors only', () => {
  it('key strings: random text and mutated real keys', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => typedOrOk(() => decodeKeyString(s))), { numRuns: 300 });
    fc.assert(
      fc.property(fc.nat(keyText.length - 1), fc.string({ maxLength: 3 }), fc.nat(3), (i, ins, del) => {
        typedOrOk(() => decodeKeyString(keyText.slice(0, i) + ins + keyText.slice(i + del)));
      }),
      { numRuns: 100 },
    );
  });

  it('identity files: random lines and mutated real files', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 10 }), (lines) => typedOrOk(() => parseIdentityFile(lines.join('\n')))),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat(fileText.length - 1), fc.string({ maxLength: 2 }), (i, ins) =>
        typedOrOk(() => parseIdentityFile(fileText.slice(0, i) + ins + fileText.slice(i + 1))),
      ),
      { numRuns: 60 },
    );
  });

  it('stanzas: random shapes give null or a typed error', () => {
    const stanza = fc.record({
      type: fc.oneof(fc.constantFrom('xwing', 'mlkem1024'), fc.string({ maxLength: 10 })),
      args: fc.array(fc.oneof(fc.constant(id.keyId), fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => Buffer.from(b).toString('hex')), fc.string({ maxLength: 9 })), { maxLength: 2 }),
      body: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1168, maxLength: 1168 })),
    });
    fc.assert(
      fc.property(fc.array(stanza, { maxLength: 3 }), (stanzas) => {
        try {
          expect(id.unwrapFileKey(stanzas)).toBeNull();
        } catch (e) {
          if (!(e instanceof NqcPqlError)) throw e;
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keysets: random JSON values', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), (j) => typedOrOk(() => Keyset.parse(j))), { numRuns: 200 });
  });
});
