import { describe, it, expect } from '@jest/globals';
import { decrypt, encrypt, inspect, updateRecipients, rotateDataKey } from '../src/index.js';
import { alice, bob, carol, codeOf, signer, utf8 } from './helpers.js';

describe('smoke', () => {
  it('round trip with reference NDE, signer, armor', async () => {
    const env = await encrypt(utf8('hello'), { recipients: [alice.recipient(), bob.recipient().toString()], signer, nde: 'reference', armor: true, chunkSize: 64 });
    expect(typeof env).toBe('string');
    const info = await inspect(env);
    expect(info.recipients.map((r) => r.type)).toEqual(['xwing', 'mlkem1024']);
    const r = await decrypt(env, { identities: [bob], requireSigner: signer.verifyingKey().toString() });
    expect(new TextDecoder().decode(r.plaintext)).toBe('hello');
    expect(r.signer?.keyId).toBe(signer.keyId);
    expect(await codeOf(() => decrypt(env, { identities: [carol] }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    const up = await updateRecipients(env, { identities: [alice], recipients: [carol.recipient()] });
    expect(new TextDecoder().decode((await decrypt(up, { identities: [carol], requireSigner: signer })).plaintext)).toBe('hello');
    const rot = await rotateDataKey(env, { identities: [alice], recipients: [carol.recipient()], signer: null });
    expect(new TextDecoder().decode((await decrypt(rot, { identities: [carol] })).plaintext)).toBe('hello');
  });
});

describe('random access from the browser entry', () => {
  it('openEnvelope(bytesSource) reads chunk k alone', async () => {
    const { openEnvelope, bytesSource } = await import('../src/index.js');
    const pt = new Uint8Array(64 * 10 + 3).map((_, i) => i * 7);
    const env = await encrypt(pt, { recipients: alice.recipient(), nde: 'reference', chunkSize: 64 });
    const ra = await openEnvelope(bytesSource(env), { identities: alice, nde: 'reference' });
    expect(ra.chunkCount).toBe(11);
    expect(Array.from(await ra.readChunk(10))).toEqual(Array.from(pt.subarray(640)));
    expect(Array.from(await ra.readChunk(4))).toEqual(Array.from(pt.subarray(256, 320)));
  });

  it('node inspect accepts a Node Readable', async () => {
    const { inspect: inspectNode } = await import('../src/node.js');
    const { Readable } = await import('node:stream');
    const env = await encrypt(utf8('x'.repeat(1000)), { recipients: [alice.recipient(), bob.recipient()], nde: 'off', chunkSize: 128 });
    const info = await inspectNode(Readable.from([Buffer.from(env.subarray(0, 500)), Buffer.from(env.subarray(500))]));
    expect(info.sizes?.plaintext).toBe(1000);
    expect(info.sizes?.chunks).toBe(8);
    expect(info.recipients.map((r) => r.keyIdHint)).toEqual([alice.keyId, bob.keyId]);
  });
});
