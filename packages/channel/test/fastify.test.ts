// The fastify plugin: inner requests reach ordinary routes; per-route policies; no forging of the
// internal marker from plain HTTP.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, Gateway, GatewayKey } from '../src/index.js';
import { nqcChannel } from '../src/fastify.js';

let app: FastifyInstance;
let origin: string;
const serverKey = generateSigningKey();
const alice = generateSigningKey();

beforeAll(async () => {
  const gateway = new Gateway({ keys: [await GatewayKey.generate({ keyId: 2 })], signingKey: serverKey, clients: allowList({ alice: alice.verifyingKey().toString() }) });
  app = Fastify();
  await app.register(nqcChannel, { gateway });
  app.get('/public', async (req) => ({ via: req.nqc ? 'channel' : 'plain' }));
  app.get('/anon', { config: { nqc: 'channel' } }, async (req) => ({ client: req.nqc?.client?.identity ?? null }));
  app.post('/me', { config: { nqc: 'require' } }, async (req, reply) => reply.header('x-user', req.nqc!.client!.identity).send({ echo: req.body }));
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
});

describe('fastify plugin', () => {
  it('routes inner requests to ordinary routes; plain HTTP still works where allowed', async () => {
    const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString() });
    expect(await (await client.fetch(`${origin}/public`)).json()).toEqual({ via: 'channel' });
    expect(await (await fetch(`${origin}/public`)).json()).toEqual({ via: 'plain' });
    expect(await (await client.fetch(`${origin}/anon`)).json()).toEqual({ client: null });
    expect((await fetch(`${origin}/anon`)).status).toBe(401);
  });

  it("'require' routes need an authenticated client through the channel", async () => {
    const anon = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString() });
    expect((await anon.fetch(`${origin}/me`, { method: 'POST' })).status).toBe(401);
    const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice });
    const res = await client.fetch(`${origin}/me`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-user')).toBe('alice');
    expect(res.headers.get('nqc-channel')).toBe(`suite=0x647a-0x0001-0x0003; key-config=2; client=${alice.keyId}`);
    expect(await res.json()).toEqual({ echo: { a: 1 } });
  });

  it('a forged internal marker from plain HTTP is refused', async () => {
    const res = await fetch(`${origin}/me`, { method: 'POST', headers: { 'nqc-channel-ref': '00'.repeat(16) } });
    expect(res.status).toBe(400);
  });
});
