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
