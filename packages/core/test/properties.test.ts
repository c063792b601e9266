// Property tests of the facade: round trips over sizes and recipient sets, single-bit flips,
// truncation, and the key-lifecycle promises of updateRecipients / rotateDataKey.
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { decryptEnvelope, parseHeader } from '@nqc/container';
import type { Identity, KemIdentity, Stanza } from '@nqc/pql';
import { decrypt, encrypt, errorInfo, isNqcError, rotateDataKey, updateRecipients, type NdeChoice } from '../src/index.js';
import { alice, bob, carol, codeOf, collect, hex, seeded, signer, streamOf } from './helpers.js';

const people: KemIdentity[] = [alice, bob, carol];
const CHUNK = 64;
const sizeArb = fc.oneof(fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 3), fc.integer({ min: 0, max: 1500 }));
const recipientsArb = fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 });

/** Caches unwrap results by stanza bytes: a flip outside the stanzas then costs no decapsulation. */
function memo(id: Identity): Identity {
  const cache = new Map<string, Uint8Array | null>();
  return {
    unwrapFileKey(stanzas: Stanza[]) {
      const k = stanzas.map((s) => `${s.type}|${s.args.join(',')}|${hex(s.body)}`).join(';');
      if (!cache.has(k)) cache.set(k, id.unwrapFileKey(stanzas));
      const r = cache.get(k)!;
      return r && r.slice();
    },
  };
}

describe('round trip', () => {
  it('random sizes, 1-3 mixed X-Wing / ML-KEM-1024 recipients, NDE on or off, bytes and streams', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, recipientsArb, fc.constantFrom<NdeChoice>('reference', 'off'), fc.boolean(), fc.nat(), async (size, who, nde, streamed, pick) => {
        const pt = seeded(`rt/${size}`, size);
        const recipients = who.map((i) => people[i]!.recipient());
        const opener = people[who[pick % who.length]!]!;
        let env: Uint8Array;
        if (streamed) env = await collect(encrypt(streamOf(pt, 37), { recipients, nde, chunkSize: CHUNK }));
        else env = await encrypt(pt, { recipients, nde, chunkSize: CHUNK });
        const info = parseHeader(env);
        expect(info.stanzas.map((s) => s.type)).toEqual(who.map((i) => people[i]!.algorithm));
        if (streamed) {
          const d = decrypt(streamOf(env, 29), { identities: [opener], nde });
          expect(hex(await collect(d.stream))).toBe(hex(pt));
          await d.done;
        } else {
          expect(hex((await decrypt(env, { identities: [opener], nde })).plaintext)).toBe(hex(pt));
        }
        const outsider = people.find((_, i) => !who.includes(i));
        if (outsider) expect(await codeOf(() => decrypt(env, { identities: [outsider], nde }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

async function expectRejected(env: Uint8Array, opts: Parameters<typeof decrypt>[1]): Promise<string> {
  try {
    await decrypt(env, opts);
  } catch (e) {
    if (!isNqcError(e)) throw e; // only typed errors are acceptable
    return errorInfo(e).code;
  }
  throw new Error('a modified envelope was accepted');
}

describe('single-bit flips', () => {
  it('every bit outside the KEM ciphertexts, and 256 sampled inside them, is rejected (NDE on, 5 chunks)', async () => {
    const pt = seeded('flip', 300);
    const env = await encrypt(pt, { recipients: [alice.recipient()], nde: 'reference', chunkSize: CHUNK });
    const h = parseHeader(env);
    const body = h.stanzas[0]!.body;
    // Locate the stanza body inside the envelope to sample it separately.
    let at = -1;
    for (let i = 0; i + body.length <= h.length && at < 0; i++) if (env[i] === body[0] && hex(env.subarray(i, i + 16)) === hex(body.subarray(0, 16))) at = i;
    expect(at).toBeGreaterThan(0);
    const id = memo(alice);
    const codes = new Set<string>();
    const positions: number[] = [];
    for (let bit = 0; bit < env.length * 8; bit++) {
      const byte = bit >> 3;
      if (byte >= at && byte < at + body.length) continue;
      positions.push(bit);
    }
    const sample = seeded('flip/sample', 256 * 2);
    for (let i = 0; i < 256; i++) positions.push(at * 8 + (((sample[2 * i]! << 8) | sample[2 * i + 1]!) % (body.length * 8)));
    for (const bit of positions) {
      const m = env.slice();
      m[bit >> 3]! ^= 1 << (bit & 7);
      codes.add(await expectRejected(m, { identities: [id], nde: 'reference' }));
    }
    expect(positions.length).toBeGreaterThan(4000); // all bits outside the KEM ciphertext, plus 256 inside
    expect(codes.has('ERR_FORMAT_DECRYPT_FAILED')).toBe(true);
  }, 120_000);

  it('256 sampled bits of a signed envelope are rejected (signature trailer included)', async () => {
    const env = await encrypt(seeded('flip-signed', 200), { recipients: [bob.recipient()], signer, nde: 'off', chunkSize: CHUNK });
    const id = memo(bob);
    const s = seeded('flip-signed/sample', 1024);
    const codes = new Set<string>();
    for (let i = 0; i < 256; i++) {
      const r = ((s[4 * i]! << 24) | (s[4 * i + 1]! << 16) | (s[4 * i + 2]! << 8) | s[4 * i + 3]!) >>> 0;
      const bit = i < 64 ? (env.length - 3309 - 4) * 8 + (r % (3313 * 8)) : r % (env.length * 8); // 64 inside the trailer
      const m = env.slice();
      m[bit >> 3]! ^= 1 << (bit & 7);
      codes.add(await expectRejected(m, { identities: [id], nde: 'off', requireSigner: signer }));
    }
    expect(codes.has('ERR_FORMAT_SIGNATURE_INVALID') || codes.has('ERR_FORMAT_SIGNATURE_ENCODING')).toBe(true);
  }, 120_000);
});

describe('truncation', () => {
  it('every random truncation is rejected', async () => {
    const env = await encrypt(seeded('trunc', 700), { recipients: [alice.recipient(), bob.recipient()], nde: 'reference', chunkSize: CHUNK });
    const id = memo(bob);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: env.length - 1 }), async (n) => {
        await expectRejected(env.slice(0, n), { identities: [id], nde: 'reference' });
      }),
      { numRuns: 150 },
    );
    // and at every chunk boundary
    const h = parseHeader(env).length;
    for (let n = h; n < env.length; n += CHUNK + 16) await expectRejected(env.slice(0, n), { identities: [id], nde: 'reference' });
  }, 120_000);
});

describe('key lifecycle', () => {
  it('updateRecipients: same payload bytes; new recipients open; removed ones cannot; the old file key still opens it', async () => {
    await fc.assert(
      fc.asyncProperty(recipientsArb, recipientsArb, fc.integer({ min: 0, max: 400 }), async (before, after, size) => {
        const pt = seeded(`up/${size}`, size);
        const env = await encrypt(pt, { recipients: before.map((i) => people[i]!.recipient()), nde: 'off', chunkSize: CHUNK });
        const opener = people[before[0]!]!;
        const up = await updateRecipients(env, { identities: [opener], recipients: after.map((i) => people[i]!.recipient()) });
        const oldH = parseHeader(env);
        const newH = parseHeader(up);
        expect(hex(up.subarray(newH.length))).toBe(hex(env.subarray(oldH.length))); // payload untouched
        expect(hex(newH.suite.salt)).toBe(hex(oldH.suite.salt));
        for (let i = 0; i < 3; i++) {
          const code = await codeOf(() => decrypt(up, { identities: [people[i]!], nde: 'off' }));
          expect([i, code]).toEqual([i, after.includes(i) ? 'NO_ERROR' : 'ERR_FORMAT_DECRYPT_FAILED']);
        }
        // A removed recipient who kept the old file key still reads the new envelope: same key.
        const fileKey = opener.unwrapFileKey(oldH.stanzas.map((s) => ({ ...s, args: [...s.args] })))!;
        const viaOldKey = await decryptEnvelope(up, { unwrap: () => fileKey });
        expect(hex(viaOldKey.plaintext)).toBe(hex(pt));
      }),
      { numRuns: 8 },
    );
  }, 120_000);

  it('rotateDataKey: new salt and payload; the old file key and removed identities open nothing new; HE section and suite kept', async () => {
    const pt = seeded('rot', 500);
    const env = await encrypt(pt, { recipients: [alice.recipient(), bob.recipient()], nde: 'reference', chunkSize: CHUNK, aead: 'aes-256-gcm' });
    const oldH = parseHeader(env);
    const fileKey = alice.unwrapFileKey(oldH.stanzas.map((s) => ({ ...s, args: [...s.args] })))!;
    const rot = await rotateDataKey(env, { identities: [alice], recipients: [carol.recipient()], nde: 'reference' });
    const newH = parseHeader(rot);
    expect(hex(newH.suite.salt)).not.toBe(hex(oldH.suite.salt));
    expect(newH.suite.aead).toBe('aes-256-gcm');
    expect(newH.suite.chunkSize).toBe(CHUNK);
    expect(hex(newH.suite.innerId!)).toBe(hex(oldH.suite.innerId!));
    expect(hex((await decrypt(rot, { identities: [carol], nde: 'reference' })).plaintext)).toBe(hex(pt));
    expect(await codeOf(() => decrypt(rot, { identities: [alice, bob], nde: 'reference' }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(await codeOf(() => decryptEnvelope(rot, { unwrap: () => fileKey, inner: () => undefined }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    // the old envelope is what it was: old recipients still read it
    expect(hex((await decrypt(env, { identities: [bob], nde: 'reference' })).plaintext)).toBe(hex(pt));
    // a signed envelope must be re-signed or the signature dropped explicitly
    const signed = await encrypt(pt, { recipients: [alice.recipient()], signer, nde: 'off' });
    expect(await codeOf(() => rotateDataKey(signed, { identities: [alice], recipients: [alice.recipient()] }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    const resigned = await rotateDataKey(signed, { identities: [alice], recipients: [alice.recipient()], signer });
    expect((await decrypt(resigned, { identities: [alice], requireSigner: signer })).signer?.keyId).toBe(signer.keyId);
  }, 120_000);
});
