// The fastify plugin: inner requests reach ordinary routes; per-route policies; no forging of the
// internal marker from plain HTTP; chunked OHTTP requests (streamed in, capped, truncation and
// replay refused before the route runs) and their streamed responses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, CHUNKED_REQUEST_MEDIA_TYPE, CHUNKED_RESPONSE_MEDIA_TYPE, encapsulateChunkedRequest, Gateway, GATEWAY_PATH, GatewayKey } from '../src/index.js';
import { _encodeIndeterminateRequest } from '../src/bhttp-stream.js';
import { nqcChannel } from '../src/fastify.js';

const MiB = 1 << 20;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const uploads: { identity: string | undefined; sha: string }[] = [];
const errors: string[] = [];

let app: FastifyInstance;
let origin: string;
const serverKey = generateSigningKey();
const alice = generateSigningKey();

beforeAll(async () => {
  const gateway = new Gateway({
    keys: [await GatewayKey.generate({ keyId: 2 })],
    signingKey: serverKey,
    clients: allowList({ alice: alice.verifyingKey().toString() }),
    maxChunkedRequestLength: 4 * MiB,
    onError: (e) => errors.push((e as { code?: string }).code ?? String(e)),
  });
  app = Fastify();
  await app.register(nqcChannel, { gateway });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 8 * MiB }, (_req, body, done) => done(null, body));
  app.post('/upload', { config: { nqc: 'require' } }, async (req, reply) => {
    const body = new Uint8Array(req.body as Buffer);
    uploads.push({ identity: req.nqc?.client?.identity, sha: sha(body) });
    return reply.type('application/octet-stream').send(Buffer.from(body)); // echoed: a multi-MiB response
  });
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

describe('fastify plugin: chunked OHTTP', () => {
  const connect = (signed = true) => ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), ...(signed ? { signingKey: alice } : {}) });
  const post = (body: Uint8Array) => fetch(`${origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': CHUNKED_REQUEST_MEDIA_TYPE }, body });
  // A whole chunked request sealed by hand (anonymous), and the same without its final chunk.
  const sealed = async (client: ChannelClient, path: string) => {
    const { header, sealer } = await encapsulateChunkedRequest(client.keys!.configs[0]!);
    const msg = _encodeIndeterminateRequest({ method: 'GET', scheme: 'http', authority: 'x', path, headers: [['nqc-created', String(Math.floor(Date.now() / 1000))]], content: new Uint8Array(0) });
    const first = await sealer.seal(msg, false);
    return { cut: Buffer.concat([header, first]), whole: Buffer.concat([header, first, await sealer.seal(new Uint8Array(0), true)]) };
  };

  it('a 3 MiB authenticated upload arrives chunked at an ordinary route; its 3 MiB echo streams back', async () => {
    const body = bytes(3 * MiB, 11);
    const res = await (await connect()).fetch(`${origin}/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
    expect(res.status).toBe(200);
    expect(uploads.at(-1)).toEqual({ identity: 'alice', sha: sha(body) });
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expect(parts.length).toBeGreaterThan(50); // opened piece by piece as it arrived
    expect(sha(Buffer.concat(parts))).toBe(sha(body));
  }, 180_000);

  it('an anonymous chunked request to a require route gets an encapsulated 401; the route does not run', async () => {
    const before = uploads.length;
    const res = await (await connect(false)).fetch(`${origin}/upload`, { method: 'POST', body: 'x', chunked: true });
    expect(res.status).toBe(401);
    expect(uploads.length).toBe(before);
  }, 60_000);

  it('a chunked body over the gateway cap is refused (413, ERR_CHANNEL_LIMIT) before the route runs; the server keeps serving', async () => {
    const before = uploads.length;
    const client = await connect();
    await expect(client.fetch(`${origin}/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes(5 * MiB, 3) })).rejects.toMatchObject({ code: 'ERR_CHANNEL_LIMIT' });
    expect(uploads.length).toBe(before);
    expect(errors).toContain('ERR_CHANNEL_LIMIT');
    expect(await (await client.fetch(`${origin}/public`, { chunked: true })).json()).toEqual({ via: 'channel' });
  }, 180_000);

  it('a chunked request without its final chunk is refused (400); the whole one is answered once, its replay refused (400)', async () => {
    const client = await connect();
    const { cut, whole } = await sealed(client, '/public');
    expect((await post(cut)).status).toBe(400);
    const ok = await post(whole);
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, CHUNKED_RESPONSE_MEDIA_TYPE]);
    await ok.arrayBuffer();
    const again = await post(whole);
    expect(again.status).toBe(400);
    expect(errors).toContain('ERR_CHANNEL_REPLAY');
  }, 60_000);
});
