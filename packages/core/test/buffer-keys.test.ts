// Node Buffers in and out of the facade (Buffer.prototype.slice is a VIEW, so a library that keeps
// "copies" made with slice() aliases the caller's memory). The neural layer gets its key and salt
// from here; the envelope's salt comes from the parsed header. The caller's buffers must come back
// unchanged, and reusing them after a call must not change what the call produced.
import { describe, expect, it } from '@jest/globals';
import { decrypt, encrypt, inspect, rotateDataKey, updateRecipients } from '../src/index.js';
import { alice, bob, signer } from './helpers.js';

const plaintext = Buffer.from(Array.from({ length: 64 * 9 + 5 }, (_, i) => (i * 31) & 0xff));

describe('Buffers through the facade with the neural layer on', () => {
  it('encrypt / decrypt / inspect / rotate leave the caller buffers unchanged, and reusing them changes nothing', async () => {
    const pt = Buffer.from(plaintext);
    const env = Buffer.from(await encrypt(pt, { recipients: alice.recipient(), signer, nde: 'reference', chunkSize: 64 }));
    expect(pt).toEqual(plaintext);
    const envCopy = Buffer.from(env);

    const info = await inspect(env);
    const r = await decrypt(env, { identities: alice, nde: 'reference', requireSigner: signer });
    expect(Buffer.from(r.plaintext)).toEqual(plaintext);
    expect(env).toEqual(envCopy);

    const up = await updateRecipients(env, { identities: alice, recipients: bob.recipient() });
    const rot = await rotateDataKey(env, { identities: alice, recipients: bob.recipient(), signer: null, nde: 'reference' });
    expect(env).toEqual(envCopy);

    env.fill(0); // the caller reuses its buffer: earlier results must not change
    pt.fill(0);
    expect(await inspect(envCopy)).toEqual(info);
    expect(Buffer.from((await decrypt(up, { identities: bob, nde: 'reference' })).plaintext)).toEqual(plaintext);
    expect(Buffer.from((await decrypt(rot, { identities: bob, nde: 'reference' })).plaintext)).toEqual(plaintext);
    expect(Buffer.from(r.plaintext)).toEqual(plaintext);
  });
});
