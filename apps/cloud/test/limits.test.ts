// The server's limits: how long a client may take to send a request (slow loris), how large a JSON
// body may be, repeated query parameters, and a replayed channel request. Each refused with a clear
// answer; the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { ChannelClient } from '@nqc/channel';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

const MiB = 1 << 20;
let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let id: string;
type Err = { error: { code: string; message: string } };
const refused: string[] = [];

beforeAll(async () => {
  owner = await makeOwner();
  // A short request timeout, so a trickled request is cut within the test.
  server = await startServer(':memory:', { user: owner.signer, channel: { onRefuse: (c) => refused.push(c) }, ...({ requestTimeoutMs: 1500 } as object) });
  // The bundle is over 1 MiB as JSON: dataset creation keeps its own limit (maxDatasetBytes).
  const payload = { name: 'limits', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) };
  expect(JSON.stringify(payload).length).toBeGreaterThan(MiB);
  const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload });
  expect(res.statusCode).toBe(201);
  id = res.json<{ id: string }>().id;
}, 240_000);
afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

const alive = async () => expect((await server.app.inject({ url: `/api/datasets/${id}` })).statusCode).toBe(200);

/** Sends `head` (and nothing more) on a raw connection; resolves with all the server wrote once it closes. */
function trickle(head: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(server.base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: hostname, port: Number(port) }, () => s.write(head));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('R4: slow clients are cut (requestTimeoutMs, headersTimeoutMs)', () => {
  it('a chunked gateway request whose body never ends gets 408 and the connection closes', async () => {
    // A real chunked OHTTP upload, of which only the first half is sent: the gateway waits for the rest.
    let body: Uint8Array | undefined;
    const capture = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method !== 'POST') return fetch(input, init);
      body = new Uint8Array(await (init.body as Blob).arrayBuffer());
      throw new Error('captured');
    }) as typeof fetch;
    const c = await ChannelClient.connect(server.base, { serverKey: server.serverKey, signingKey: owner.signer, fetch: capture });
    await expect(c.fetch(`${server.base}/api/datasets/${id}/envelopes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(64 * 1024), chunked: true })).rejects.toThrow('captured');
    const half = Buffer.from(body!.subarray(0, body!.length >> 1));
    const head = `POST /.well-known/ohttp-gateway HTTP/1.1\r\nHost: x\r\nContent-Type: message/ohttp-chunked-req\r\nTransfer-Encoding: chunked\r\n\r\n${half.length.toString(16)}\r\n`;
    const answer = await trickle(Buffer.concat([Buffer.from(head, 'latin1'), half, Buffer.from('\r\n', 'latin1')]));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // The gateway's read of that body ends with the connection (it holds nothing afterwards).
    for (let i = 0; i < 200 && refused.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(refused).toHaveLength(1);
    refused.length = 0;
    await alive();
  }, 60_000);

  it('a request whose headers never end gets 408 and the connection closes', async () => {
    const answer = await trickle('GET /.well-known/ohttp-gateway HTTP/1.1\r\nHost: x\r\nX-Slow: 1');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await alive();
  }, 60_000);

  it('the defaults bound every phase: whole request, headers, idle keep-alive, inactivity', async () => {
    const { buildServer } = await import('../src/server.js');
    const { SqliteStore } = await import('../src/sqlite-store.js');
    const store = new SqliteStore(':memory:');
    const s = await buildServer({ store });
    try {
      const t = s.server;
      expect({ request: t.requestTimeout, headers: t.headersTimeout, keepAlive: t.keepAliveTimeout, inactivity: t.timeout }).toEqual({ request: 120_000, headers: 30_000, keepAlive: 72_000, inactivity: 600_000 });
    } finally {
      await s.close();
      await store.close();
    }
  }, 60_000);
});

describe('timeout options', () => {
  it('a negative, fractional or zero (keep-alive, headers) timeout is refused with ERR_CLOUD_BAD_REQUEST', async () => {
    const { buildServer } = await import('../src/server.js');
    const { SqliteStore } = await import('../src/sqlite-store.js');
    const store = new SqliteStore(':memory:');
    try {
      for (const o of [{ requestTimeoutMs: -1 }, { connectionTimeoutMs: 1.5 }, { keepAliveTimeoutMs: 0 }, { headersTimeoutMs: 0 }]) {
        await expect(buildServer({ store, ...o })).rejects.toMatchObject({ code: 'ERR_CLOUD_BAD_REQUEST' });
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('JSON bodies are bounded by maxJsonBytes (default 1 MiB)', () => {
  it('a 2 MiB JSON body to the aggregate route: 413 ERR_CLOUD_TOO_LARGE, the server keeps serving', async () => {
    const res = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'count', path: 'age', pad: 'x'.repeat(2 * MiB) } });
    expect({ status: res.statusCode, code: res.json<Err>().error.code }).toEqual({ status: 413, code: 'ERR_CLOUD_TOO_LARGE' });
    expect(res.json<Err>().error.message).toContain(String(MiB));
    await alive();
  }, 240_000);
});

describe('repeated query parameters', () => {
  it('every audit parameter given twice is 400 ERR_CLOUD_BAD_REQUEST', async () => {
    for (const q of [`dataset=${id}&dataset=${id}`, `dataset=${id}&limit=5&limit=5`, `dataset=${id}&since=0&since=0`, `dataset[]=${id}`]) {
      const res = await server.app.inject({ url: `/api/audit?${q}` });
      expect({ q, status: res.statusCode, code: res.json<Err>().error.code }).toEqual({ q, status: 400, code: 'ERR_CLOUD_BAD_REQUEST' });
    }
    expect((await server.app.inject({ url: `/api/audit?dataset=${id}&limit=5` })).statusCode).toBe(200);
  }, 240_000);
});

describe('a replayed channel request', () => {
  it('is refused before any route runs with an outer 400 ERR_CLOUD_REPLAY, small or chunked; a tampered one stays a bare 400', async () => {
    const sent: { body: Uint8Array; type: string }[] = [];
    const transport = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'POST') {
        const body = init.body instanceof Blob ? new Uint8Array(await init.body.arrayBuffer()) : new Uint8Array(init.body as Uint8Array);
        sent.push({ body, type: (init.headers as Record<string, string>)['content-type']! });
        return fetch(input, { ...init, body });
      }
      return fetch(input, init);
    }) as typeof fetch;
    const c = await ChannelClient.connect(server.base, { serverKey: server.serverKey, signingKey: owner.signer, fetch: transport });
    const count = (chunked: boolean) => c.fetch(`${server.base}/api/datasets/${id}/aggregate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'count', path: 'age' }), chunked });
    expect((await count(false)).status).toBe(409); // no data yet: the route ran (and audited nothing)
    expect((await count(true)).status).toBe(409);
    expect(sent.map((s) => s.type)).toEqual(['message/ohttp-req', 'message/ohttp-chunked-req']);
    refused.length = 0;
    for (const { body, type } of sent) {
      const res = await fetch(`${server.base}/.well-known/ohttp-gateway`, { method: 'POST', headers: { 'content-type': type }, body });
      expect({ type, status: res.status, body: (await res.json()) as unknown }).toEqual({ type, status: 400, body: { error: { code: 'ERR_CLOUD_REPLAY', message: expect.any(String), detail: 'ERR_CHANNEL_REPLAY' } } });
    }
    expect(refused).toEqual(['ERR_CHANNEL_REPLAY', 'ERR_CHANNEL_REPLAY']);
    const bad = new Uint8Array(sent[0]!.body);
    bad[bad.length - 1]! ^= 1;
    const tampered = await fetch(`${server.base}/.well-known/ohttp-gateway`, { method: 'POST', headers: { 'content-type': sent[0]!.type }, body: bad });
    expect({ status: tampered.status, text: await tampered.text() }).toEqual({ status: 400, text: 'bad request' });
    await alive();
  }, 240_000);
});
