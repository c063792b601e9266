// Chunked OHTTP (draft-ietf-ohai-chunked-ohttp-08) wired through ChannelClient, the node:http
// middleware and the Gateway: multi-MiB bodies, streamed responses, truncation in either direction,
// the body cap, authentication and replay.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { ChannelClient, CHUNKED_REQUEST_MEDIA_TYPE, CHUNKED_RESPONSE_MEDIA_TYPE, encapsulateChunkedRequest, GATEWAY_PATH, NqcChannelError, type ChannelHandler, type ChannelRequest } from '../src/index.js';
import { _encodeIndeterminateRequest, _ResponseParser, _contentChunk, _messageEnd, _responseHead } from '../src/bhttp-stream.js';
import { startServer, type TestServer } from './_server.js';

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

let s: TestServer;
const seen: ChannelRequest[] = [];
let respond: ChannelHandler = () => ({ status: 200 });
const outerTypes: string[] = [];
/** A transport that records the outer content types and can cut the last `cut` bytes of each response. */
let cut = 0;
const transport = (async (input: string | URL | Request, init?: RequestInit) => {
  outerTypes.push(String((init?.headers as Record<string, string> | undefined)?.['content-type'] ?? 'none'));
  const res = await fetch(input, init);
  if (cut === 0 || !res.headers.get('content-type')?.startsWith('message/ohttp-chunked')) return res;
  const all = new Uint8Array(await res.arrayBuffer());
  return new Response(all.subarray(0, all.length - cut), { status: res.status, headers: res.headers });
}) as typeof fetch;

beforeAll(async () => {
  s = await startServer({ maxChunkedRequestLength: 8 * MiB }, (req) => {
    seen.push(req);
    return respond(req);
  });
});
afterAll(async () => {
  await s.close();
});

const connect = (signed = true) => ChannelClient.connect(s.origin, { serverKey: s.serverKey.verifyingKey().toString(), fetch: transport, ...(signed ? { signingKey: s.clientKey } : {}) });

describe('chunked OHTTP through the client, the middleware and the gateway', () => {
  it('a 5 MiB authenticated POST is sent chunked and its 5 MiB echo streams back in pieces', async () => {
    const body = bytes(5 * MiB, 7);
    respond = (req) => ({
      status: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-sha': sha(req.body) },
      body: (async function* () {
        for (let o = 0; o < req.body.length; o += 300_000) yield req.body.subarray(o, o + 300_000);
      })(),
    });
    const client = await connect();
    outerTypes.length = 0;
    const res = await client.fetch(`${s.origin}/private/upload`, { method: 'PUT', body });
    expect(outerTypes).toEqual([CHUNKED_REQUEST_MEDIA_TYPE]); // chunked by size, no option needed
    expect(res.status).toBe(201);
    expect(res.headers.get('x-sha')).toBe(sha(body));
    expect(res.headers.get('nqc-channel')).toMatch(/^suite=0x647a-0x0001-0x0003; key-config=7; client=[0-9a-f]+$/);
    expect(seen.at(-1)?.client?.identity).toBe('alice');
    expect(seen.at(-1)?.method).toBe('PUT');
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expect(parts.length).toBeGreaterThan(100); // delivered as it was opened, not as one buffer
    expect(sha(Buffer.concat(parts))).toBe(sha(body));
  }, 180_000);

  it('chunked: true for a small body; the handler sees the same request as without chunking', async () => {
    respond = (req) => ({ status: 200, body: `${req.method} ${req.url} ${new TextDecoder().decode(req.body)} ${req.headers.find(([n]) => n === 'x-a')?.[1]}` });
    const client = await connect();
    outerTypes.length = 0;
    const a = await client.fetch(`${s.origin}/private/x?q=1`, { method: 'POST', body: 'hi', headers: { 'x-a': 'b' }, chunked: true });
    const b = await client.fetch(`${s.origin}/private/x?q=1`, { method: 'POST', body: 'hi', headers: { 'x-a': 'b' } });
    expect(outerTypes).toEqual([CHUNKED_REQUEST_MEDIA_TYPE, 'message/ohttp-req']);
    expect(await a.text()).toBe(await b.text());
  }, 60_000);

  it('a response cut before its final chunk (by a proxy) fails the body read with the generic decrypt error', async () => {
    respond = () => ({ status: 200, body: bytes(200_000, 3) });
    const client = await connect();
    cut = 20; // inside the final chunk
    try {
      const res = await client.fetch(`${s.origin}/private/big`, { chunked: true });
      await expect(res.arrayBuffer()).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
    } finally {
      cut = 0;
    }
  }, 60_000);

  it('a handler whose body throws mid-stream ends the response without a final chunk: the client sees truncation', async () => {
    respond = () => ({
      status: 200,
      body: (async function* () {
        yield bytes(50_000, 1);
        throw new Error('disk gone');
      })(),
    });
    const client = await connect();
    const res = await client.fetch(`${s.origin}/private/fail`, { chunked: true });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
  }, 60_000);

  it('a chunked request without its final chunk is refused (400) before the handler runs', async () => {
    const client = await connect();
    const { header, sealer } = await encapsulateChunkedRequest(client.keys!.configs[0]!);
    const msg = _encodeIndeterminateRequest({ method: 'GET', scheme: 'http', authority: 'x', path: '/public', headers: [['nqc-created', String(Math.floor(Date.now() / 1000))]], content: new Uint8Array(0) });
    const first = await sealer.seal(msg, false);
    const before = seen.length;
    const post = (body: Uint8Array) => fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': CHUNKED_REQUEST_MEDIA_TYPE }, body });
    const cutRes = await post(Buffer.concat([header, first]));
    expect(cutRes.status).toBe(400);
    expect(seen.length).toBe(before);
    // the same request with its final chunk goes through, once; a replay of it is refused
    const whole = Buffer.concat([header, first, await sealer.seal(new Uint8Array(0), true)]);
    const ok = await post(whole);
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, CHUNKED_RESPONSE_MEDIA_TYPE]);
    await ok.arrayBuffer();
    expect(seen.length).toBe(before + 1);
    expect((await post(whole)).status).toBe(400);
  }, 60_000);

  it('a chunked request with a tampered chunk in the middle is refused (400) and the server keeps serving', async () => {
    const client = await connect();
    const { header, sealer } = await encapsulateChunkedRequest(client.keys!.configs[0]!);
    const msg = _encodeIndeterminateRequest({ method: 'POST', scheme: 'http', authority: 'x', path: '/public', headers: [['nqc-created', String(Math.floor(Date.now() / 1000))]], content: bytes(2 * MiB, 9) });
    const parts = [header];
    for (let o = 0; o < msg.length; o += 16384) parts.push(await sealer.seal(msg.subarray(o, o + 16384), false));
    parts.push(await sealer.seal(new Uint8Array(0), true));
    parts[3]![10]! ^= 1;
    const before = seen.length;
    const res = await fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': CHUNKED_REQUEST_MEDIA_TYPE }, body: Buffer.concat(parts) });
    expect(res.status).toBe(400);
    await res.arrayBuffer();
    expect(seen.length).toBe(before);
    respond = () => ({ status: 200, body: 'still here' });
    expect(await (await client.fetch(`${s.origin}/public`, { chunked: true })).text()).toBe('still here');
  }, 120_000);

  it('a chunked body over the gateway cap is refused (413, ERR_CHANNEL_LIMIT at the client) and the handler never runs', async () => {
    const client = await connect();
    const before = seen.length;
    await expect(client.fetch(`${s.origin}/private/upload`, { method: 'POST', body: bytes(9 * MiB, 5) })).rejects.toMatchObject({ code: 'ERR_CHANNEL_LIMIT' });
    expect(seen.length).toBe(before);
    expect(s.errors).toContain('ERR_CHANNEL_LIMIT');
  }, 180_000);

  it('an anonymous chunked request to a required route gets an encapsulated 401', async () => {
    const client = await connect(false);
    const res = await client.fetch(`${s.origin}/private/upload`, { method: 'POST', body: 'x', chunked: true });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('authentication failed');
  }, 60_000);
});

describe('indeterminate-length binary HTTP response parser', () => {
  const message = Buffer.concat([
    _responseHead(200, [['content-type', 'text/plain'], ['x-long', 'v'.repeat(3000)]]),
    _contentChunk(new TextEncoder().encode('hello ')),
    _contentChunk(new TextEncoder().encode('world')),
    _messageEnd(),
  ]);

  it('gives the same head and content for any split of the bytes, byte by byte included', () => {
    for (const step of [1, 2, 7, 100, message.length]) {
      const p = new _ResponseParser();
      let head;
      const content: Uint8Array[] = [];
      for (let o = 0; o < message.length; o += step) {
        const ev = p.push(new Uint8Array(message.subarray(o, o + step)));
        head ??= ev.head;
        content.push(...ev.content);
      }
      p.end();
      expect(head).toEqual({ status: 200, headers: [['content-type', 'text/plain'], ['x-long', 'v'.repeat(3000)]] });
      expect(Buffer.concat(content).toString()).toBe('hello world');
    }
  });

  it('refuses a message that stops inside the head or inside a content chunk', () => {
    for (const end of [5, 20, message.length - 5]) {
      const p = new _ResponseParser();
      p.push(new Uint8Array(message.subarray(0, end)));
      expect(() => p.end()).toThrow(NqcChannelError);
    }
  });

  it('refuses a known-length response and non-zero padding', () => {
    expect(() => new _ResponseParser().push(Uint8Array.of(1))).toThrow(/framing indicator 1/);
    const p = new _ResponseParser();
    expect(() => p.push(new Uint8Array(Buffer.concat([message, Buffer.of(0, 1)])))).toThrow(/padding/);
  });
});
