// End to end over node:http on 127.0.0.1: signed key configuration, encapsulation, client
// authentication, policies, replay, tampering, limits.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey } from '@nqc/pql';
import { ChannelClient, GATEWAY_PATH, Gateway, GatewayKey, NqcChannelError, REQUEST_MEDIA_TYPE } from '../src/index.js';
import { channelMiddleware } from '../src/node.js';
import { startServer, type TestServer } from './_server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const pinned = () => s.serverKey.verifyingKey().toString();

describe('channel over node:http', () => {
  it('an anonymous request round-trips and reports its status', async () => {
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned() });
    const res = await client.fetch(`${s.origin}/hello?x=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', url: `${s.origin}/hello?x=1`, identity: null, body: '' });
    expect(res.headers.get('nqc-channel')).toBe('suite=0x647a-0x0001-0x0003; key-config=7; client=none');
  });

  it('an authenticated POST reaches the handler with the identity and the body', async () => {
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned(), signingKey: s.clientKey });
    const res = await client.fetch(`${s.origin}/private/notes`, { method: 'POST', body: 'secret note', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ method: 'POST', identity: 'alice', body: 'secret note' });
    expect(res.headers.get('nqc-channel')).toBe(`suite=0x647a-0x0001-0x0003; key-config=7; client=${s.clientKey.keyId}`);
  });

  it('a route that requires authentication refuses an anonymous client (encapsulated 401)', async () => {
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned() });
    const res = await client.fetch(`${s.origin}/private/notes`);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('authentication failed');
  });

  it('a client key that is not on the allow-list is refused, even on an optional route', async () => {
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned(), signingKey: generateSigningKey() });
    expect((await client.fetch(`${s.origin}/hello`)).status).toBe(401);
    expect((await client.fetch(`${s.origin}/private/x`)).status).toBe(401);
  });

  it('a wrong pinned server key refuses the key configuration', async () => {
    await expect(ChannelClient.connect(s.origin, { serverKey: generateSigningKey().verifyingKey().toString() })).rejects.toMatchObject({ code: 'ERR_CHANNEL_BAD_SIGNATURE' });
  });

  it('an expired key configuration is refused', async () => {
    const later = () => new Date(Date.now() + 30 * 86400e3);
    await expect(ChannelClient.connect(s.origin, { serverKey: pinned(), now: later })).rejects.toMatchObject({ code: 'ERR_CHANNEL_EXPIRED' });
  });

  it('a replayed encapsulated request is refused; a tampered one too', async () => {
    let captured: Uint8Array | undefined;
    const spy: typeof fetch = async (url, init) => {
      if (init?.method === 'POST') captured = Uint8Array.from(init.body as Uint8Array);
      return fetch(url, init);
    };
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned(), signingKey: s.clientKey, fetch: spy });
    expect((await client.fetch(`${s.origin}/private/pay`, { method: 'POST', body: '10 EUR' })).status).toBe(200);
    const post = (body: Uint8Array) => fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': REQUEST_MEDIA_TYPE }, body });
    s.errors.length = 0;
    const again = await post(captured!);
    expect(again.status).toBe(400);
    expect(await again.text()).toBe('bad request');
    expect(s.errors).toEqual(['ERR_CHANNEL_REPLAY']);
    const bad = Uint8Array.from(captured!);
    bad[bad.length - 5]! ^= 1;
    expect((await post(bad)).status).toBe(400);
    expect(s.errors).toEqual(['ERR_CHANNEL_REPLAY', 'ERR_CHANNEL_DECRYPT_FAILED']);
  });

  it('a tampered response fails with the generic decryption error', async () => {
    const flip: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method !== 'POST') return res;
      const b = new Uint8Array(await res.arrayBuffer());
      b[b.length - 1]! ^= 1;
      return new Response(b, { status: res.status, headers: res.headers });
    };
    const client = await ChannelClient.connect(s.origin, { serverKey: pinned(), fetch: flip });
    const err = await client.fetch(`${s.origin}/hello`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NqcChannelError);
    expect(err).toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED', message: 'could not decrypt' });
  });

  it('an oversized request body is refused with 413 before decapsulation', async () => {
    const res = await fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': REQUEST_MEDIA_TYPE }, body: new Uint8Array(300 * 1024) });
    expect(res.status).toBe(413);
  });

  it('an unknown key id gets 422 with the RFC 9458 problem type', async () => {
    const res = await fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': REQUEST_MEDIA_TYPE }, body: Uint8Array.of(9, 0x64, 0x7a, 0, 1, 0, 3) });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ type: 'https://iana.org/assignments/http-problem-types#ohttp-key' });
  });

  it('serves the plain application/ohttp-keys document by default (RFC 9540)', async () => {
    const res = await fetch(`${s.origin}${GATEWAY_PATH}`);
    expect(res.headers.get('content-type')).toBe('application/ohttp-keys');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(s.gateway.keyConfigs());
  });
});

describe('gateway key rotation', () => {
  it('after a 422 (unknown key id) the client refetches the signed configuration and retries once', async () => {
    const serverKey = generateSigningKey();
    const make = async (keyId: number) => new Gateway({ keys: [await GatewayKey.generate({ keyId })], signingKey: serverKey });
    let current = await make(1);
    const server = createServer((req, res) => channelMiddleware(current, () => ({ status: 200, body: 'ok' }))(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString() });
      expect(client.keys?.configs[0]?.keyId).toBe(1);
      current = await make(2);
      const res = await client.fetch(`${origin}/x`);
      expect(await res.text()).toBe('ok');
      expect(res.headers.get('nqc-channel')).toContain('key-config=2');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('request time and replay window', () => {
  it('a request whose time is outside the skew window is refused', async () => {
    let offset = 0;
    const t = await startServer({ now: () => new Date(Date.now() + offset), clockSkewSeconds: 30 });
    try {
      const client = await ChannelClient.connect(t.origin, { serverKey: t.serverKey.verifyingKey().toString(), signingKey: t.clientKey });
      expect((await client.fetch(`${t.origin}/private/a`)).status).toBe(200);
      offset = 5 * 60e3; // the gateway's clock runs 5 minutes ahead
      expect((await client.fetch(`${t.origin}/private/a`)).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
