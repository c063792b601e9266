// Client authentication: the signature is bound to one HPKE context and covers method, target,
// headers and content; anything else fails.
import { describe, expect, it } from '@jest/globals';
import { generateSigningKey, Keyset } from '@nqc/pql';
import { allowList, AUTH_SIGNATURE_HEADER, GatewayKey, type BhttpRequest } from '../src/index.js';
import { _signRequest, _verifyRequest } from '../src/auth.js';
import { _setupRequest, REQUEST_LABEL, selectSuite } from '../src/ohttp.js';

const key = await GatewayKey.generate();
const alice = generateSigningKey();
const clients = allowList({ alice: alice.verifyingKey().toString() });
const ctx = async () => (await _setupRequest(key.config, selectSuite(key.config), REQUEST_LABEL)).context;
const req: BhttpRequest = {
  method: 'POST', scheme: 'https', authority: 'api.example', path: '/pay?to=bob',
  headers: [['content-type', 'text/plain'], ['nqc-created', '1800000000']], content: new TextEncoder().encode('10 EUR'),
};

describe('request signatures', () => {
  it('verify under the same context and resolve the identity', async () => {
    const c = await ctx();
    const signed = await _signRequest(req, c, alice);
    expect(signed.headers[signed.headers.length - 1]![0]).toBe(AUTH_SIGNATURE_HEADER);
    const who = await _verifyRequest(signed, c, clients);
    expect(who?.identity).toBe('alice');
    expect(who?.key.keyId).toBe(alice.keyId);
  });

  it('a request without authentication fields verifies as anonymous', async () => {
    expect(await _verifyRequest(req, await ctx(), clients)).toBeUndefined();
  });

  it('a signature moved to another HPKE context fails (channel binding)', async () => {
    const signed = await _signRequest(req, await ctx(), alice);
    await expect(_verifyRequest(signed, await ctx(), clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH', message: 'bad client signature' });
  });

  it.each([
    ['method', { method: 'PUT' }],
    ['path', { path: '/pay?to=mallory' }],
    ['authority', { authority: 'evil.example' }],
    ['content', { content: new TextEncoder().encode('99 EUR') }],
  ])('a changed %s fails', async (_name, change) => {
    const c = await ctx();
    const signed = await _signRequest(req, c, alice);
    await expect(_verifyRequest({ ...signed, ...change }, c, clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
  });

  it('an added header fails', async () => {
    const c = await ctx();
    const signed = await _signRequest(req, c, alice);
    const headers = [['x-extra', '1'] as const, ...signed.headers];
    await expect(_verifyRequest({ ...signed, headers }, c, clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
  });

  it('unknown keys, duplicated or malformed fields fail', async () => {
    const c = await ctx();
    const signed = await _signRequest(req, c, generateSigningKey());
    await expect(_verifyRequest(signed, c, clients)).rejects.toMatchObject({ message: 'unknown client key' });
    await expect(_verifyRequest(signed, c, undefined)).rejects.toMatchObject({ message: 'unknown client key' });
    const good = await _signRequest(req, c, alice);
    const sig = good.headers[good.headers.length - 1]!;
    await expect(_verifyRequest({ ...good, headers: [...good.headers, sig] }, c, clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
    await expect(_verifyRequest({ ...good, headers: [...good.headers.slice(0, -1), [sig[0], sig[1].slice(1)]] }, c, clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
    await expect(_verifyRequest({ ...good, headers: good.headers.filter(([n]) => n !== 'nqc-created') }, c, clients)).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
  });

  it('a keyset resolver follows rotation: a disabled key stops authenticating', async () => {
    const ks = Keyset.create();
    const info = ks.add('sign');
    const signer = ks.primarySigner();
    const resolver = allowList({ bob: ks });
    const c = await ctx();
    const signed = await _signRequest(req, c, signer);
    expect((await _verifyRequest(signed, c, resolver))?.identity).toBe('bob');
    ks.add('sign', undefined, { primary: true });
    ks.disable(info.id);
    await expect(_verifyRequest(signed, c, resolver)).rejects.toMatchObject({ message: 'unknown client key' });
  });
});
