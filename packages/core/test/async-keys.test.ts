// Asynchronous identities and signers (a key held by a custody agent): every decryption path
// (bytes, Web streams, files, Node transforms), the lifecycle functions, the "null means not mine"
// contract across sync and async identities, and typed errors when the remote side fails.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Stanza } from '@nqc/pql';
import {
  createDecryptTransform,
  decrypt,
  decryptFile,
  encrypt,
  openEnvelopeFile,
  rotateDataKey,
  rotateDataKeyFile,
  updateRecipients,
  updateRecipientsFile,
  type AsyncIdentity,
  type AsyncSigner,
} from '../src/node.js';
import { alice, bob, carol, codeOf, signer, streamOf } from './helpers.js';

const later = <T>(v: () => T): Promise<T> => new Promise((resolve, reject) => setTimeout(() => { try { resolve(v()); } catch (e) { reject(e); } }, 5));

/** An identity answering through a promise, like a custody agent. Counts its calls. */
function remote(id: { unwrapFileKey(s: Stanza[]): Uint8Array | null }): AsyncIdentity & { calls: number } {
  const r = { calls: 0, unwrapFileKey: (s: Stanza[]) => { r.calls++; return later(() => id.unwrapFileKey(s)); } };
  return r;
}

const remoteSigner: AsyncSigner = {
  algorithm: signer.algorithm,
  publicKey: signer.publicKey,
  sign: (m, o) => later(() => signer.sign(m, o)),
};

const plain = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
const dir = mkdtempSync(join(tmpdir(), 'nqc-core-async-'));

describe('asynchronous identities', () => {
  it('decrypt (bytes) unwraps through a promise, and a signature by an async signer verifies', async () => {
    const env = await encrypt(plain, { recipients: [alice.recipient()], signer: remoteSigner, nde: 'off' });
    const r = await decrypt(env, { identities: [remote(alice)], requireSigner: signer.verifyingKey() });
    expect(Buffer.from(r.plaintext).equals(Buffer.from(plain))).toBe(true);
    expect(r.signer?.keyId).toBe(signer.keyId);
  });

  it('"null" from an async identity means not mine: the next (sync or async) identity is tried, in order', async () => {
    const env = await encrypt(plain, { recipients: [alice.recipient()], nde: 'off' });
    const miss = remote(carol);
    const hit = remote(alice);
    const after = remote(bob);
    const r = await decrypt(env, { identities: [miss, bob, hit, after] });
    expect(r.plaintext.length).toBe(plain.length);
    expect([miss.calls, hit.calls, after.calls]).toEqual([1, 1, 0]);
    // sync first, then async
    expect((await decrypt(env, { identities: [carol, remote(alice)] })).plaintext.length).toBe(plain.length);
    // nobody: the one decryption failure
    expect(await codeOf(() => decrypt(env, { identities: [remote(carol), remote(bob)] }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
  });

  it('a sync identity that matches first is answered without any async identity being asked', async () => {
    const env = await encrypt(plain, { recipients: [alice.recipient()], nde: 'off' });
    const unused = remote(carol);
    await decrypt(env, { identities: [alice, unused] });
    expect(unused.calls).toBe(0);
  });

  it('Web stream, file and Node transform decryption accept async identities', async () => {
    const env = (await encrypt(plain, { recipients: [alice.recipient()], nde: 'off' })) as Uint8Array;
    const s = decrypt(streamOf(env), { identities: [remote(carol), remote(alice)] });
    const parts: Uint8Array[] = [];
    const reader = s.stream.getReader();
    for (let c = await reader.read(); !c.done; c = await reader.read()) parts.push(c.value);
    await s.done;
    expect(Buffer.concat(parts).equals(Buffer.from(plain))).toBe(true);

    writeFileSync(join(dir, 'a.nqc'), env);
    await decryptFile(join(dir, 'a.nqc'), join(dir, 'a.out'), { identities: [remote(alice)] });
    expect(readFileSync(join(dir, 'a.out')).equals(Buffer.from(plain))).toBe(true);

    const ra = await openEnvelopeFile(join(dir, 'a.nqc'), { identities: [remote(carol), remote(alice)] });
    expect(Buffer.from(await ra.readChunk(0)).equals(Buffer.from(plain.subarray(0, 65_536)))).toBe(true);
    await ra.close();

    const d = createDecryptTransform({ identities: [remote(alice)] });
    const out: Buffer[] = [];
    await pipeline(Readable.from([env]), d.transform, new Writable({ write(c, _e, cb) { out.push(c); cb(); } }));
    await d.done;
    expect(Buffer.concat(out).equals(Buffer.from(plain))).toBe(true);
  });

  it('updateRecipients and rotateDataKey (bytes and files) recover the file key through an async identity and sign asynchronously', async () => {
    const env = (await encrypt(plain, { recipients: [alice.recipient()], signer, nde: 'off' })) as Uint8Array;
    const re = await updateRecipients(env, { identities: [remote(carol), remote(alice)], recipients: [bob.recipient()] });
    expect((await decrypt(re, { identities: [bob] })).plaintext.length).toBe(plain.length);
    const rot = await rotateDataKey(env, { identities: [remote(alice)], recipients: [bob.recipient()], signer: remoteSigner, requireSigner: signer.verifyingKey(), nde: 'reference' });
    expect((await decrypt(rot, { identities: [bob], requireSigner: signer.verifyingKey() })).signer?.keyId).toBe(signer.keyId);

    writeFileSync(join(dir, 'b.nqc'), env);
    await updateRecipientsFile(join(dir, 'b.nqc'), join(dir, 'b2.nqc'), { identities: [remote(alice)], recipients: [carol.recipient()] });
    await rotateDataKeyFile(join(dir, 'b.nqc'), join(dir, 'b3.nqc'), { identities: [remote(alice)], recipients: [carol.recipient()], signer: remoteSigner, requireSigner: signer.verifyingKey() });
    for (const f of ['b2.nqc', 'b3.nqc']) expect((await decrypt(readFileSync(join(dir, f)), { identities: [carol] })).plaintext.length).toBe(plain.length);
  });

  it('a rejecting async identity is ERR_CORE_IDENTITY_FAILED with the original error as cause; so is a malformed answer', async () => {
    const env = await encrypt(plain, { recipients: [alice.recipient()], nde: 'off' });
    const boom = new Error('agent went away');
    const failing: AsyncIdentity = { unwrapFileKey: () => Promise.reject(boom) };
    let caught: unknown;
    try {
      await decrypt(env, { identities: [failing, alice] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'ERR_CORE_IDENTITY_FAILED', cause: boom });
    expect(await codeOf(() => updateRecipients(env, { identities: [failing], recipients: [bob.recipient()] }))).toBe('ERR_CORE_IDENTITY_FAILED');
    const short: AsyncIdentity = { unwrapFileKey: async () => new Uint8Array(16) };
    expect(await codeOf(() => decrypt(env, { identities: [short] }))).toBe('ERR_CORE_IDENTITY_FAILED');
  });

  it('an async identity returns a copy: the caller wiping the key it returned does not break decryption', async () => {
    const env = await encrypt(plain, { recipients: [alice.recipient()], nde: 'off' });
    const wiping: AsyncIdentity = {
      async unwrapFileKey(s) {
        const fk = alice.unwrapFileKey(s)!;
        setTimeout(() => fk.fill(0), 0);
        return fk;
      },
    };
    expect((await decrypt(env, { identities: [wiping] })).plaintext.length).toBe(plain.length);
  });

  it('a rejecting async signer is ERR_CORE_SIGNER_FAILED; a signer without a public key is refused up front', async () => {
    const boom = new Error('no agent');
    const failing: AsyncSigner = { ...remoteSigner, sign: () => Promise.reject(boom) };
    let caught: unknown;
    try {
      await encrypt(plain, { recipients: [alice.recipient()], signer: failing, nde: 'off' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'ERR_CORE_SIGNER_FAILED', cause: boom });
    const noKey = { algorithm: 'mldsa65', sign: remoteSigner.sign } as unknown as AsyncSigner;
    expect(await codeOf(() => encrypt(plain, { recipients: [alice.recipient()], signer: noKey, nde: 'off' }))).toBe('ERR_CORE_KEY');
  });
});
