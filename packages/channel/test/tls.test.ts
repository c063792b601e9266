// The channel over TLS: the gateway behind node:https (a self-signed certificate made by `openssl`
// at test time) and the client's transport over node:https, so the channel runs inside TLS 1.3. On
// Node >= 24.5 (OpenSSL 3.5) TLS 1.3 negotiates the hybrid group X25519MLKEM768 by default, and the
// test checks that group on the client's socket; on older Node the group is classical and only the
// channel over TLS is checked (the group test is skipped under a name that says so).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, ChannelSocket, Gateway, GatewayKey, SOCKET_PROTOCOL, type WebSocketLike } from '../src/index.js';
import { channelMiddleware } from '../src/node.js';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
/** Node >= 24.5 ships OpenSSL 3.5, whose TLS 1.3 default groups start with X25519MLKEM768. */
const pqTls = major > 24 || (major === 24 && minor >= 5);
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const describeTls = hasOpenssl ? describe : describe.skip;

const serverKey = generateSigningKey();
const alice = generateSigningKey();
let dir: string;
let ca: Buffer;
let server: Server;
let wss: WebSocketServer;
let origin: string;
/** The key exchange of every TLS connection the client made (`getEphemeralKeyInfo()`). */
const groups: { type?: string; name?: string; protocol: string | null }[] = [];

/** A `fetch` over node:https that trusts only the test's certificate and records each connection's TLS group. */
const tlsFetch = ((input: string | URL | Request, init: RequestInit = {}) =>
  new Promise<Response>((resolve, reject) => {
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body as Uint8Array);
    const req = request(
      String(input),
      { method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>), ...(body ? { 'content-length': String(body.length) } : {}) }, ca, agent: false, minVersion: 'TLSv1.3' },
      (res) => {
        const socket = res.socket as TLSSocket;
        groups.push({ ...(socket.getEphemeralKeyInfo() as { type?: string; name?: string }), protocol: socket.getProtocol() });
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [n, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(n, v);
          resolve(new Response(new Uint8Array(Buffer.concat(parts)), { status: res.statusCode ?? 500, headers }));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  })) as typeof fetch;

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'nqc-channel-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  ca = readFileSync(join(dir, 'cert.pem'));
  const gateway = new Gateway({
    keys: [await GatewayKey.generate({ keyId: 5 })],
    signingKey: serverKey,
    clients: allowList({ alice: alice.verifyingKey().toString() }),
    auth: 'require',
  });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca, minVersion: 'TLSv1.3' }, channelMiddleware(gateway, (req) => ({ status: 200, body: `hello ${req.client?.identity} over ${req.url}` })));
  wss = new WebSocketServer({ server, handleProtocols: (p) => (p.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false) });
  wss.on('connection', (ws) => {
    void ChannelSocket.accept(gateway, ws as unknown as WebSocketLike).then((s) => {
      if (s) s.onmessage = (m) => void s.send(m).catch(() => undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  if (!hasOpenssl) return;
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describeTls('channel over TLS 1.3 (node:https, self-signed certificate from openssl)', () => {
  it('an authenticated channel request and response over https', async () => {
    const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice, fetch: tlsFetch });
    const res = await client.fetch(`${origin}/tls`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`hello alice over ${origin}/tls`);
    expect(res.headers.get('nqc-channel')).toMatch(/^suite=0x647a-0x0001-0x0003; key-config=5; client=[0-9a-f]+$/);
    expect(groups.length).toBeGreaterThanOrEqual(2); // the key configuration GET and the request POST
    for (const g of groups) expect(g).toMatchObject({ protocol: 'TLSv1.3' });
  }, 60_000);

  it('a ChannelSocket echo over wss', async () => {
    const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice, fetch: tlsFetch });
    class TlsWebSocket extends WebSocket {
      constructor(url: string, protocols: string) {
        super(url, protocols, { ca, minVersion: 'TLSv1.3' });
      }
    }
    const socket = await ChannelSocket.connect(client, `${origin.replace('https', 'wss')}/chat`, TlsWebSocket as unknown as new (url: string, protocols: string) => WebSocketLike);
    await socket.send('over wss');
    expect(await socket.next()).toBe('over wss');
    await socket.close();
  }, 60_000);

  (pqTls ? it : it.skip)(`on Node >= 24.5 TLS 1.3 negotiates the hybrid group X25519MLKEM768 by default (this is Node ${process.versions.node}${pqTls ? '' : ': skipped, its OpenSSL has no ML-KEM group'})`, () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.name).toBe('X25519MLKEM768');
  });

  (pqTls ? it.skip : it)(`before Node 24.5 the TLS group is classical and the channel alone is post-quantum (this is Node ${process.versions.node})`, () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.name).not.toBe('X25519MLKEM768');
  });
});
