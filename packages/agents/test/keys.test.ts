// KeyStore: keys per purpose over a pql keyset; loading from keysets and identity files; lifecycle.
import { describe, expect, it } from '@jest/globals';
import { generateIdentity, generateSigningKey, Keyset, parseVerifyingKey, wrapToRecipients } from '@nqc/pql';
import { KeyStore } from '../src/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('KeyStore', () => {
  it('good_purposes: createKey per purpose and algorithm; the first of each purpose is primary', () => {
    const ks = KeyStore.create();
    const e = ks.createKey('encrypt', 'mlkem1024');
    const s = ks.createKey('sign', 'slhdsa-sha2-128f');
    expect([e.purpose, e.algorithm, e.status]).toEqual(['encrypt', 'mlkem1024', 'primary']);
    expect([s.purpose, s.algorithm, s.status]).toEqual(['sign', 'slhdsa-sha2-128f', 'primary']);
    expect(() => ks.createKey('sign', 'xwing')).toThrow(expect.objectContaining({ code: 'ERR_PQL_UNKNOWN_ALGORITHM' }));
    expect(() => ks.createKey('other' as 'sign')).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_INVALID_INPUT' }));
  });

  it('good_lifecycle: rotate, disable, enable, destroy; list reflects every change', () => {
    const ks = KeyStore.create();
    const a = ks.createKey('sign');
    const b = ks.rotate('sign');
    expect(ks.list().map((k) => [k.id, k.status])).toEqual([[a.id, 'enabled'], [b.id, 'primary']]);
    expect(ks.sign(utf8('m')).keyId).toBe(b.id);
    ks.disable(a.id);
    expect(() => ks.sign(utf8('m'), { keyId: a.id })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_KEY' }));
    ks.enable(a.id);
    expect(ks.sign(utf8('m'), { keyId: a.id }).keyId).toBe(a.id);
    ks.destroy(a.id);
    expect(ks.list().find((k) => k.id === a.id)).toMatchObject({ status: 'destroyed', hasSecret: false });
    expect(() => ks.sign(utf8('m'), { keyId: a.id })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_KEY' }));
    expect(() => ks.disable(b.id)).toThrow(expect.objectContaining({ code: 'ERR_PQL_KEYSET' })); // the primary
    ks.promote(b.id);
  });

  it('good_load: from a serialised keyset and from identity files, secrets usable, public export has none', () => {
    const src = Keyset.create();
    const enc = src.add('encrypt');
    const sig = src.add('sign');
    const ks = KeyStore.fromKeyset(src.serialize());
    const fileKey = new Uint8Array(32).fill(9);
    expect(ks.unwrapFileKey(src.primaryRecipient().wrapFileKey(fileKey))).toEqual(fileKey);
    const { signature } = ks.sign(utf8('m'));
    expect(parseVerifyingKey(sig.publicKey).verify(signature, utf8('m'))).toBe(true);
    expect(ks.publicKeyset()).not.toMatch(/SECRET/i);
    expect(KeyStore.fromKeyset(ks.serializeSecret()).list().map((k) => k.id)).toEqual([enc.id, sig.id]);

    const id = generateIdentity();
    const sk = generateSigningKey('mldsa87');
    const fromFile = KeyStore.fromIdentityFile({ identities: [id], signingKeys: [sk] });
    expect(fromFile.list().map((k) => [k.id, k.status])).toEqual([[id.keyId, 'primary'], [sk.keyId, 'primary']]);
    expect(fromFile.unwrapFileKey(wrapToRecipients(fileKey, [id.recipient()]))).toEqual(fileKey);
    expect(() => fromFile.importKeys({ identities: [id], signingKeys: [] })).toThrow(expect.objectContaining({ code: 'ERR_PQL_KEYSET' }));
  });

  it('good_decapsulate and fail_length', () => {
    const ks = KeyStore.create();
    const e = ks.createKey('encrypt');
    expect(() => ks.decapsulate(new Uint8Array(10))).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_INVALID_INPUT' }));
    expect(() => ks.decapsulate(new Uint8Array(10), 'ffffffff')).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_KEY' }));
    const ct = crypto.getRandomValues(new Uint8Array(1120));
    expect(ks.decapsulate(ct).keyId).toBe(e.id); // ML-KEM's implicit rejection: some secret, no throw
    // an all-zero X25519 share is refused by the KEM: one generic typed error
    expect(() => ks.decapsulate(new Uint8Array(1120))).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_TASK_FAILED', reason: 'ERR_KEM_DECAPSULATE' }));
  });
});
