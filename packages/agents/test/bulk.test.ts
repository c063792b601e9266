// The bulk agent: whole envelopes through @nqc/core in the pool, readable by a direct decrypt.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decrypt, encrypt } from '@nqc/core';
import { SecurityManager } from '../src/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
let m: SecurityManager;
beforeAll(async () => {
  m = await SecurityManager.create({ pools: { pq: false, he: false, bulk: { threads: 1 } } });
  m.keys.createKey('encrypt');
  m.keys.createKey('sign');
});
afterAll(async () => {
  await m.close();
});

describe('bulk agent', () => {
  it('good_envelope: encrypt in the pool, decrypt directly, and the reverse', async () => {
    const plaintext = utf8('a payload for the bulk pool');
    const env = await m.perform('envelope.encrypt', { plaintext, nde: 'off', sign: true });
    const identity = m.keys._identity();
    const direct = await decrypt(env, { identities: [identity], nde: 'off' });
    expect(direct.plaintext).toEqual(plaintext);
    const env2 = await encrypt(plaintext, { recipients: [identity.recipient()], nde: 'off' });
    expect(await m.perform('envelope.decrypt', { envelope: env2, nde: 'off' })).toEqual(plaintext);
  }, 120_000);

  it('fail_tampered envelope fails with the generic decryption code as reason', async () => {
    const env = await m.perform('envelope.encrypt', { plaintext: utf8('x'), nde: 'off' });
    env[env.length - 5]! ^= 1;
    await expect(m.perform('envelope.decrypt', { envelope: env, nde: 'off' })).rejects.toMatchObject({ code: 'ERR_AGENTS_TASK_FAILED', reason: expect.stringMatching(/^ERR_/) });
  }, 120_000);
});
