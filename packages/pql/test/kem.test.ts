import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  FILE_KEY_LENGTH,
  generateIdentity,
  KemIdentity,
  KemRecipient,
  NqcPqlError,
  parseIdentity,
  parseRecipient,
  SEALED_FILE_KEY_LENGTH,
  wrapToRecipients,
  type Recipient,
  type Stanza,
} from '../src/index.js';

const ALGS = [
  { id: 'xwing', ct: 1120, seed: 32 },
  { id: 'mlkem1024', ct: 1568, seed: 64 },
] as const;

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof NqcPqlError ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

describe.each(ALGS)('$id recipient', ({ id, ct, seed }) => {
  const alice = generateIdentity(id);
  const bob = generateIdentity(id);

  it('good_round_trip: wrap/unwrap any file key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (fileKey, hint) => {
        const stanzas = alice.recipient({ hint }).wrapFileKey(fileKey);
        expect(stanzas).toHaveLength(1);
        expect(stanzas[0]!.type).toBe(id);
        expect(stanzas[0]!.args).toEqual(hint ? [alice.keyId] : []);
        expect(stanzas[0]!.body.length).toBe(ct + SEALED_FILE_KEY_LENGTH);
        expect(alice.unwrapFileKey(stanzas)).toEqual(fileKey);
      }),
      { numRuns: 12 },
    );
  });

  it('good_two_recipients: each identity opens its own stanza', () => {
    const fileKey = crypto.getRandomValues(new Uint8Array(32));
    const stanzas = wrapToRecipients(fileKey, [alice.recipient(), bob.recipient({ hint: false })]);
    expect(alice.unwrapFileKey(stanzas)).toEqual(fileKey);
    expect(bob.unwrapFileKey(stanzas)).toEqual(fileKey);
  });

  it('wrong key returns null ("not mine"), with and without hints', () => {
    const fileKey = new Uint8Array(32).fill(7);
    const carol = generateIdentity(id);
    expect(carol.unwrapFileKey(alice.recipient().wrapFileKey(fileKey))).toBeNull();
    expect(carol.unwrapFileKey(alice.recipient({ hint: false }).wrapFileKey(fileKey))).toBeNull();
    expect(carol.unwrapFileKey([])).toBeNull();
    expect(carol.unwrapFileKey([{ type: 'other-type', args: ['x'], body: new Uint8Array(3) }])).toBeNull();
  });

  it('key strings round-trip and keep the identity usable', () => {
    const again = parseIdentity(alice.toString());
    expect(again.publicKey).toEqual(alice.publicKey);
    const r = parseRecipient(alice.recipient().toString());
    const fileKey = new Uint8Array(32).fill(1);
    expect(again.unwrapFileKey(r.wrapFileKey(fileKey))).toEqual(fileKey);
    expect(alice.recipient().toString().startsWith(`nqc-${id}-1`)).toBe(true);
    expect(alice.toString().startsWith(`NQC-SECRET-${id.toUpperCase()}-1`)).toBe(true);
  });

  it('fail_body_length: wrong body lengths are typed errors, before any decapsulation', () => {
    const good = alice.recipient().wrapFileKey(new Uint8Array(32))[0]!;
    for (const n of [0, 1, ct, ct + SEALED_FILE_KEY_LENGTH - 1, ct + SEALED_FILE_KEY_LENGTH + 1, 100_000]) {
      const body = new Uint8Array(n);
      body.set(good.body.subarray(0, Math.min(n, good.body.length)));
      expect(code(() => alice.unwrapFileKey([{ ...good, body }]))).toBe('ERR_PQL_STANZA_MALFORMED');
    }
  });

  it('fail_args: more than one argument or a malformed hint is a typed error', () => {
    const good = alice.recipient().wrapFileKey(new Uint8Array(32))[0]!;
    for (const args of [[alice.keyId, 'x'], ['ABCDEF01'], ['abc'], [alice.keyId + '0'], ['zzzzzzzz']]) {
      expect(code(() => alice.unwrapFileKey([{ ...good, args }]))).toBe('ERR_PQL_STANZA_MALFORMED');
    }
  });

  it('refuses bad inputs with precise messages', () => {
    expect(() => alice.recipient().wrapFileKey(new Uint8Array(31))).toThrow(
      '"fileKey" expected Uint8Array of length 32, got length=31',
    );
    expect(code(() => KemIdentity.fromSeed(id, new Uint8Array(seed - 1)))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => new KemRecipient(id, new Uint8Array(10)))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => alice.unwrapFileKey('nope' as unknown as Stanza[]))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => alice.unwrapFileKey([{ type: '', args: [], body: new Uint8Array() }]))).toBe('ERR_PQL_INVALID_INPUT');
  });

  it('fromSeed is deterministic', () => {
    const s = new Uint8Array(seed).fill(9);
    expect(KemIdentity.fromSeed(id, s).publicKey).toEqual(KemIdentity.fromSeed(id, s).publicKey);
  });
});

describe('wrapToRecipients', () => {
  it('refuses an empty list and recipients that are not post-quantum', () => {
    const fk = new Uint8Array(32);
    expect(code(() => wrapToRecipients(fk, []))).toBe('ERR_PQL_RECIPIENTS');
    const classical: Recipient = { wrapFileKey: () => [{ type: 'X25519', args: [], body: new Uint8Array(32) }] };
    const pq = generateIdentity().recipient();
    expect(() => wrapToRecipients(fk, [pq, classical])).toThrow(/not post-quantum/);
    const liar = { wrapFileKey: classical.wrapFileKey, postQuantum: false };
    expect(code(() => wrapToRecipients(fk, [liar]))).toBe('ERR_PQL_RECIPIENTS');
    expect(code(() => wrapToRecipients(new Uint8Array(FILE_KEY_LENGTH + 1), [pq]))).toBe('ERR_PQL_INVALID_INPUT');
  });

  it('mixes X-Wing and ML-KEM-1024 recipients; each opens with its own identity', () => {
    const a = generateIdentity('xwing');
    const b = generateIdentity('mlkem1024');
    const fk = crypto.getRandomValues(new Uint8Array(32));
    const stanzas = wrapToRecipients(fk, [a.recipient(), b.recipient()]);
    expect(stanzas.map((s) => s.type)).toEqual(['xwing', 'mlkem1024']);
    expect(a.unwrapFileKey(stanzas)).toEqual(fk);
    expect(b.unwrapFileKey(stanzas)).toEqual(fk);
  });
});
