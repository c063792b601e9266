// The channel's browser test: an @nqc/channel gateway (node:http middleware + a ws server for
// ChannelSocket) on 127.0.0.1 in this process, which also serves the bundled page, so the page's
// fetch and WebSocket are same-origin. In Chromium the page makes an ML-DSA-65 client key, then
// talks to the gateway with ChannelClient (the browser's fetch) and ChannelSocket (the browser's
// WebSocket). Fails on any console error or uncaught error in the page.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { ChallengeStore, ChannelSocket, Gateway, GatewayKey, SOCKET_PROTOCOL } from '@nqc/channel';
import { channelMiddleware } from '@nqc/channel/node';
import { generateSigningKey, parseVerifyingKey } from '@nqc/pql';
import { launch, open, out as distRoot } from './harness.mjs';

const here = import.meta.dirname;
const out = join(distRoot, 'channel');
const T = 300_000; // per test: X-Wing and ML-DSA are pure JavaScript, on a busy 2-core machine
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** Bundles page/channel.js (ESM, as an app would) and copies page/channel.html to dist/channel/. */
async function buildChannelPage() {
  const esbuild = await import('esbuild');
  rmSync(out, { recursive: true, force: true });
  const r = await esbuild.build({ entryPoints: [join(here, 'page', 'channel.js')], bundle: true, format: 'esm', outdir: out, logLevel: 'silent' });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.text).join('\n'));
  await esbuild.build({ entryPoints: [join(here, 'page', 'channel.html')], loader: { '.html': 'copy' }, outdir: out, logLevel: 'silent' });
}

/** Static files of dist/channel/ for every path the gateway does not own. */
function serveStatic(req, res) {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(out, path === '/' ? 'channel.html' : path);
  if (!file.startsWith(out) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

const serverKey = generateSigningKey();
// Client keys registered by the page (their private halves never leave the browser).
const clients = new Map();
const resolver = { resolve: (key) => clients.get(key.toString()) };
const gatewayErrors = [];
let http;
let wss;
let origin;
let browser;
let page;
let problems;
let lastOuterType;

before(async () => {
  await buildChannelPage();
  const gateway = new Gateway({
    keys: [await GatewayKey.generate({ keyId: 3 })],
    signingKey: serverKey,
    clients: resolver,
    challenges: new ChallengeStore(),
    auth: (_method, path) => (path === '/login' ? 'challenge' : path.startsWith('/private') ? 'require' : 'optional'),
    onError: (e) => gatewayErrors.push(e?.code ?? String(e)),
  });
  const handler = (req) => req.url.endsWith('/private/upload') ? { status: 200, body: req.body } : ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: req.method, url: req.url, identity: req.client?.identity ?? null, body: new TextDecoder().decode(req.body) }),
  });
  const middleware = channelMiddleware(gateway, handler);
  http = createServer((req, res) => {
    if (req.method === 'POST') lastOuterType = req.headers['content-type'];
    middleware(req, res, () => serveStatic(req, res));
  });
  wss = new WebSocketServer({ server: http, handleProtocols: (p) => (p.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false) });
  wss.on('connection', (ws) => {
    void ChannelSocket.accept(gateway, ws).then((s) => {
      if (!s) return;
      s.onmessage = (m) => void s.send(typeof m === 'string' ? `echo ${m} from ${s.request?.client?.identity ?? 'anon'}` : m).catch(() => undefined);
    });
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${http.address().port}`;
  browser = await launch();
  ({ page, problems } = await open(browser, `${origin}/`));
  // The page makes its own ML-DSA-65 key; only the verifying key comes back to be allow-listed.
  const vk = await page.evaluate(() => {
    globalThis.alice = globalThis.generateSigningKey();
    return globalThis.alice.verifyingKey().toString();
  });
  assert.match(vk, /^nqc-pub-/);
  clients.set(parseVerifyingKey(vk).toString(), 'browser-alice');
}, { timeout: T });

after(async () => {
  await browser?.close();
  for (const c of wss?.clients ?? []) c.terminate();
  wss?.close();
  await new Promise((r) => (http ? http.close(() => r()) : r()));
});

afterEach(() => {
  assert.deepEqual(problems.splice(0), [], 'the page logged errors');
});

describe('@nqc/channel in Chromium', () => {
  test('the page is a same-origin secure context on 127.0.0.1', async () => {
    assert.equal(await page.evaluate(() => [globalThis.isSecureContext, location.origin].join(' ')), `true ${origin}`);
  });

  test('ChannelClient over the browser fetch: authenticated request and response; anonymous is refused on a required route', { timeout: T }, async () => {
    const r = await page.evaluate(async (serverKey) => {
      const { ChannelClient } = globalThis.channel;
      const client = await ChannelClient.connect(location.origin, { serverKey, signingKey: globalThis.alice });
      const res = await client.fetch(`${location.origin}/private/notes?x=1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello from chromium' });
      const anon = await ChannelClient.connect(location.origin, { serverKey });
      const refused = await anon.fetch(`${location.origin}/private/notes`);
      const open = await anon.fetch(`${location.origin}/public`);
      return {
        status: res.status, body: await res.json(), channel: res.headers.get('nqc-channel'),
        refused: refused.status, open: open.status, openBody: await open.json(),
      };
    }, serverKey.verifyingKey().toString());
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { method: 'POST', url: `${origin}/private/notes?x=1`, identity: 'browser-alice', body: 'hello from chromium' });
    assert.match(r.channel, /^suite=0x647a-0x0001-0x0003; key-config=3; client=[0-9a-f]+$/);
    assert.equal(r.refused, 401);
    assert.equal(r.open, 200);
    assert.equal(r.openBody.identity, null);
  });

  test('ChannelClient over the browser fetch: a 2 MiB body goes as chunked OHTTP and its echo streams back', { timeout: T }, async () => {
    const r = await page.evaluate(async (serverKey) => {
      const { ChannelClient } = globalThis.channel;
      const client = await ChannelClient.connect(location.origin, { serverKey, signingKey: globalThis.alice });
      const body = new Uint8Array(2 << 20).map((_, i) => (i * 31) & 0xff);
      const res = await client.fetch(`${location.origin}/private/upload`, { method: 'POST', body });
      const reader = res.body.getReader();
      let n = 0;
      let pieces = 0;
      let same = true;
      for (let x = await reader.read(); !x.done; x = await reader.read()) {
        for (let i = 0; i < x.value.length; i++) if (x.value[i] !== body[n + i]) same = false;
        n += x.value.length;
        pieces++;
      }
      return { status: res.status, n, pieces, same };
    }, serverKey.verifyingKey().toString());
    assert.equal(r.status, 200);
    assert.equal(r.n, 2 << 20);
    assert.equal(r.same, true);
    assert.ok(r.pieces > 1, 'the response body streamed in pieces');
    assert.equal(lastOuterType, 'message/ohttp-chunked-req');
  });

  test('challenge-response login from the browser: login() succeeds, a plain signed request to the login route is refused', { timeout: T }, async () => {
    const r = await page.evaluate(async (serverKey) => {
      const client = await globalThis.channel.ChannelClient.connect(location.origin, { serverKey, signingKey: globalThis.alice });
      const ok = await client.login(`${location.origin}/login`, { method: 'POST', body: 'me' });
      const plain = await client.fetch(`${location.origin}/login`, { method: 'POST', body: 'me' });
      return { ok: ok.status, identity: (await ok.json()).identity, plain: plain.status };
    }, serverKey.verifyingKey().toString());
    assert.deepEqual(r, { ok: 200, identity: 'browser-alice', plain: 401 });
  });

  test('ChannelClient in the browser refuses a gateway whose key configuration is not signed by the pinned key', { timeout: T }, async () => {
    const code = await page.evaluate(async (wrongKey) => {
      try {
        await globalThis.channel.ChannelClient.connect(location.origin, { serverKey: wrongKey });
        return 'connected';
      } catch (e) {
        return e.code;
      }
    }, generateSigningKey().verifyingKey().toString());
    assert.equal(code, 'ERR_CHANNEL_BAD_SIGNATURE');
  });

  test('ChannelSocket over the browser WebSocket: authenticated echo, text and binary, clean close', { timeout: T }, async () => {
    const r = await page.evaluate(async (serverKey) => {
      const { ChannelClient, ChannelSocket } = globalThis.channel;
      const client = await ChannelClient.connect(location.origin, { serverKey, signingKey: globalThis.alice });
      const socket = await ChannelSocket.connect(client, `ws://${location.host}/private/chat`, WebSocket);
      const closed = new Promise((resolve) => (socket.onclose = resolve));
      await socket.send('hello');
      const text = await socket.next();
      const bytes = new Uint8Array(70_000).map((_, i) => i & 0xff);
      await socket.send(bytes);
      const back = await socket.next();
      const same = back instanceof Uint8Array && back.length === bytes.length && back.every((b, i) => b === bytes[i]);
      await socket.close();
      const info = await closed;
      return { text, same, code: info.code };
    }, serverKey.verifyingKey().toString());
    assert.equal(r.text, 'echo hello from browser-alice');
    assert.equal(r.same, true);
    assert.equal(r.code, 1000);
  });

  test('ChannelSocket without a client key is refused (401 inside the channel, close 4401) on a required route', { timeout: T }, async () => {
    const code = await page.evaluate(async (serverKey) => {
      const { ChannelClient, ChannelSocket } = globalThis.channel;
      const anon = await ChannelClient.connect(location.origin, { serverKey });
      try {
        await ChannelSocket.connect(anon, `ws://${location.host}/private/chat`, WebSocket);
        return 'connected';
      } catch (e) {
        return e.code;
      }
    }, serverKey.verifyingKey().toString());
    assert.equal(code, 'ERR_CHANNEL_AUTH');
    assert.ok(gatewayErrors.length > 0, 'the gateway reported the refused handshake to onError');
  });
});
