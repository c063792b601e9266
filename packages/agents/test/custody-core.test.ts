// The custody agent as @nqc/core's identity and signer: envelopes decrypted and signed through the
// agent, with no identity file or secret in this process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decrypt, encrypt, updateRecipients } from '@nqc/core';
import { generateIdentity, parseRecipient, parseVerifyingKey } from '@nqc/pql';
import { KeyStore } from '../src/index.js';
import { agentIdentity, agentSigner, CustodyClient, CustodyServer } from '../src/custody/index.js';

let dir: string;
let keys: KeyStore;
let server: CustodyServer;
let client: CustodyClient;
const plain = new TextEncoder().encode('through the agent '.repeat(5000));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nqc-agent-core-'));
  keys = KeyStore.create();
  keys.createKey('encrypt', 'xwing');
  keys.createKey('sign', 'mldsa65');
  server = await CustodyServer.listen({ socketPath: join(dir, 'run', 'agent.sock'), keys });
  client = await CustodyClient.connect(join(dir, 'run', 'agent.sock'));
}, 60_000);
afterAll(async () => {
  client?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const info = (purpose: string) => keys.list().find((k) => k.purpose === purpose)!;

describe('agentIdentity / agentSigner', () => {
  it('decrypts an envelope to the agent\'s key, and a signature made through the agent verifies', async () => {
    const signer = await agentSigner(client);
    expect(signer.keyId).toBe(info('sign').id);
    const env = await encrypt(plain, { recipients: [parseRecipient(info('encrypt').publicKey)], signer, nde: 'off' });
    const r = await decrypt(env, { identities: [agentIdentity(client)], requireSigner: parseVerifyingKey(info('sign').publicKey) });
    expect(Buffer.from(r.plaintext).equals(Buffer.from(plain))).toBe(true);
    expect(r.signer?.keyId).toBe(signer.keyId);
  }, 60_000);

  it('"not mine" from the agent lets the next identity open the envelope; nobody is the one decryption failure', async () => {
    const other = generateIdentity('xwing');
    const env = await encrypt(plain, { recipients: [other.recipient()], nde: 'off' });
    expect((await decrypt(env, { identities: [agentIdentity(client), other] })).plaintext.length).toBe(plain.length);
    await expect(decrypt(env, { identities: [agentIdentity(client)] })).rejects.toMatchObject({ code: 'ERR_FORMAT_DECRYPT_FAILED' });
    const re = await updateRecipients(await encrypt(plain, { recipients: [parseRecipient(info('encrypt').publicKey)], nde: 'off' }), { identities: [agentIdentity(client)], recipients: [other.recipient()] });
    expect((await decrypt(re, { identities: [other] })).plaintext.length).toBe(plain.length);
  }, 60_000);

  it('an unknown key id is ERR_AGENTS_KEY; a closed client fails decryption with ERR_CORE_IDENTITY_FAILED (cause ERR_AGENTS_CLOSED)', async () => {
    await expect(agentSigner(client, 'deadbeef')).rejects.toMatchObject({ code: 'ERR_AGENTS_KEY' });
    const env = await encrypt(plain, { recipients: [parseRecipient(info('encrypt').publicKey)], nde: 'off' });
    const c2 = await CustodyClient.connect(server.socketPath);
    const signer = await agentSigner(c2);
    c2.close();
    let caught: { code?: string; cause?: { code?: string } } | undefined;
    try {
      await decrypt(env, { identities: [agentIdentity(c2)] });
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe('ERR_CORE_IDENTITY_FAILED');
    expect(caught?.cause?.code).toBe('ERR_AGENTS_CLOSED');
    await expect(encrypt(plain, { recipients: [parseRecipient(info('encrypt').publicKey)], signer, nde: 'off' })).rejects.toMatchObject({ code: 'ERR_CORE_SIGNER_FAILED' });
  }, 60_000);
});
