// The channel over WebSocket (ws on both sides, subprotocol nqc.v1): handshake with client
// authentication, sealed messages both ways, rekeying, and every way a stream can go wrong.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket, WebSocketServer } from 'ws';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, ChannelSocket, Gateway, GatewayKey, SOCKET_PROTOCOL, type SocketOptions, type WebSocketLike } from '../src/index.js';
import { channelMiddleware } from '../src/node.js';

const serverKey = generateSigningKey();
const alice = generateSigningKey();
let http: Server;
let wss: WebSocketServer;
let origin: string;
let wsOrigin: string;
const accepted: ChannelSocket[] = [];
let serverOptions: SocketOptions = {};
// A man in the middle on the server's receive path: it may rewrite each inbound frame.
let tamper: ((data: Buffer, index: number) => Buffer[] | undefined) | undefined;

beforeAll(async () => {
  const gateway = new Gateway({
    keys: [await GatewayKey.generate({ keyId: 4 })],
    signingKey: serverKey,
    clients: allowList({ alice: alice.verifyingKey().toString() }),
    auth: (_m, path) => (path.startsWith('/private') ? 'require' : 'optional'),
  });
  http = createServer(channelMiddleware(gateway, () => ({ status: 404 })));
  wss = new WebSocketServer({ server: http, handleProtocols: (p) => (p.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false) });
  wss.on('connection', (ws) => {
    let n = 0;
    const real = ws as unknown as WebSocketLike;
    if (tamper) {
      const t = tamper;
      const add = ws.addEventListener.bind(ws);
      (ws as unknown as { addEventListener: unknown }).addEventListener = (type: string, fn: (ev: { data: unknown }) => void) =>
        type === 'message'
          ? add('message', (ev) => {
              const out = t(Buffer.from(ev.data as ArrayBuffer), n++) ?? [Buffer.from(ev.data as ArrayBuffer)];
              for (const d of out) fn({ data: d.buffer.slice(d.byteOffset, d.byteOffset + d.length) });
            })
          : add(type as 'close', fn as never);
    }
    void ChannelSocket.accept(gateway, real, serverOptions).then((s) => {
      if (!s) return;
      accepted.push(s);
      s.onmessage = (m) => void s.send(typeof m === 'string' ? `echo ${m} from ${s.request?.client?.identity ?? 'anon'}` : m).catch(() => undefined);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  wsOrigin = `ws://127.0.0.1:${port}`;
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise((r) => http.close(r));
});

const Ctor = WebSocket as unknown as new (url: string, p: string) => WebSocketLike;
const connect = async (signingKey?: typeof alice, options: SocketOptions = {}) => {
  const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), ...(signingKey ? { signingKey } : {}) });
  return ChannelSocket.connect(client, `${wsOrigin}/private/chat`, Ctor, options);
};
const closedOf = (s: ChannelSocket) => new Promise<{ code: number; clean: boolean }>((r) => (s.closed ? r(s.closed) : (s.onclose = r)));

describe('ChannelSocket over ws', () => {
  it('authenticates, then carries text and binary both ways in order; sealed close is clean', async () => {
    tamper = undefined;
    const s = await connect(alice);
    await s.send('hi');
    await s.send(Uint8Array.of(1, 2, 3));
    expect(await s.next()).toBe('echo hi from alice');
    expect(await s.next()).toEqual(Uint8Array.of(1, 2, 3));
    const server = accepted[accepted.length - 1]!;
    const serverClosed = closedOf(server);
    await s.close();
    expect(s.closed).toEqual({ code: 1000, clean: false });
    expect(await serverClosed).toEqual({ code: 1000, clean: true });
  });

  it('a route that requires authentication refuses an anonymous handshake', async () => {
    tamper = undefined;
    await expect(connect()).rejects.toMatchObject({ code: 'ERR_CHANNEL_AUTH' });
  });

  it('rekeys every N messages on both sides without losing sync', async () => {
    tamper = undefined;
    serverOptions = { rekeyAfterMessages: 3 };
    try {
      const s = await connect(alice, { rekeyAfterMessages: 3 });
      for (let i = 0; i < 10; i++) await s.send(`m${i}`);
      for (let i = 0; i < 10; i++) expect(await s.next()).toBe(`echo m${i} from alice`);
      await s.close();
      // the ratchet really changes the key: a client that does not rekey loses sync at message 4
      const lagging = await connect(alice);
      const done = closedOf(lagging);
      for (let i = 0; i < 4; i++) await lagging.send(`m${i}`);
      expect((await done).code).toBe(4400);
    } finally {
      serverOptions = {};
    }
  });

  it.each([
    ['a replayed message', (d: Buffer, i: number) => (i === 2 ? [d, d] : undefined)],
    ['a dropped message (gap)', (_d: Buffer, i: number) => (i === 1 ? [] : undefined)],
    ['a flipped bit', (d: Buffer, i: number) => (i === 2 ? [Buffer.from(d.map((b, j) => (j === 5 ? b ^ 1 : b)))] : undefined)],
  ])('%s closes the socket with 4400', async (_name, t) => {
    tamper = t;
    const s = await connect(alice);
    const done = closedOf(s);
    await s.send('a');
    await s.send('b');
    await s.send('c');
    const got: unknown[] = [];
    s.onmessage = (m) => got.push(m);
    expect((await done).code).toBe(4400);
    expect(got.length).toBeLessThan(3);
  });

  it('reordered messages close the socket with 4400', async () => {
    let held: Buffer | undefined;
    tamper = (d, i) => {
      if (i === 1) {
        held = d;
        return [];
      }
      if (i === 2) return [d, held!];
      return undefined;
    };
    const s = await connect(alice);
    const done = closedOf(s);
    await s.send('a');
    await s.send('b');
    expect((await done).code).toBe(4400);
  });

  it('a server-side lifetime limit closes with 4408; a handshake that never comes times out', async () => {
    tamper = undefined;
    serverOptions = { maxLifetimeMs: 300 };
    try {
      const s = await connect(alice);
      expect((await closedOf(s)).code).toBe(4408);
    } finally {
      serverOptions = { handshakeTimeoutMs: 200 };
    }
    try {
      const raw = new WebSocket(`${wsOrigin}/x`, SOCKET_PROTOCOL);
      const code = await new Promise<number>((r) => raw.on('close', (c) => r(c)));
      expect(code).toBe(4408);
    } finally {
      serverOptions = {};
    }
  });

  it('a peer that drops the connection without a sealed close is reported as not clean', async () => {
    tamper = undefined;
    const s = await connect(alice);
    const done = closedOf(s);
    for (const c of wss.clients) c.terminate();
    expect((await done).clean).toBe(false);
  });

  it('a wrong subprotocol is refused', async () => {
    const raw = new WebSocket(`${wsOrigin}/x`, 'other');
    const res = await new Promise<string>((r) => {
      raw.on('error', () => r('error'));
      raw.on('close', () => r('closed'));
    });
    expect(['error', 'closed']).toContain(res);
  });
});
