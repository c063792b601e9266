// `pnpm bench`: a bounded loopback load test (127.0.0.1 only) of the channel vs plain HTTP, plus
// HPKE handshakes per second. Uses the built dist/. Client and server share this one process (and
// the machine's 2 cores), so absolute numbers are pessimistic; compare the rows as ratios.
// Env: BENCH_N (requests per row, default 400), BENCH_C (concurrency, default 8), BENCH_MAX_S (cap per row, 30).
import { createServer } from 'node:http';
import { generateSigningKey } from '@nqc/pql';
import { WebSocket, WebSocketServer } from 'ws';
import { allowList, ChannelClient, ChannelSocket, decapsulateRequest, encapsulateRequest, Gateway, GatewayKey, SOCKET_PROTOCOL } from '../dist/index.js';
import { channelMiddleware } from '../dist/node.js';

const N = Number(process.env.BENCH_N ?? 400);
const C = Number(process.env.BENCH_C ?? 8);
const MAX_MS = Number(process.env.BENCH_MAX_S ?? 30) * 1000;

async function listen(handler) {
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Runs `one()` N times with C in flight (stops early at MAX_MS); returns req/s and latency percentiles. */
async function load(one) {
  await one(); // warm-up
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  async function worker() {
    while (next < N && performance.now() - t0 < MAX_MS) {
      next++;
      const s = performance.now();
      await one();
      lat.push(performance.now() - s);
    }
  }
  await Promise.all(Array.from({ length: C }, worker));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { n: lat.length, rps: lat.length / secs, p50: q(0.5), p99: q(0.99) };
}

const plain = await listen((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello');
});
const serverKey = generateSigningKey();
const alice = generateSigningKey();
const key = await GatewayKey.generate();
const gateway = new Gateway({ keys: [key], signingKey: serverKey, clients: allowList({ alice: alice.verifyingKey().toString() }) });
const chan = await listen(channelMiddleware(gateway, () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' })));
const anon = await ChannelClient.connect(chan.origin, { serverKey: serverKey.verifyingKey().toString() });
const authed = await ChannelClient.connect(chan.origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice });

// WebSocket: one authenticated handshake per socket, then echo round trips (one socket per worker).
const wss = new WebSocketServer({ server: chan.server, handleProtocols: (p) => (p.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false) });
wss.on('connection', async (ws) => {
  const s = await ChannelSocket.accept(gateway, ws);
  if (s) s.onmessage = (m) => void s.send(m).catch(() => undefined);
});
const wsUrl = chan.origin.replace('http:', 'ws:') + '/ws';
const sockets = await Promise.all(Array.from({ length: C }, () => ChannelSocket.connect(authed, wsUrl, WebSocket)));
let turn = 0;

const rows = [
  ['plain HTTP (node:http + fetch)', await load(async () => (await fetch(`${plain.origin}/hello`)).text())],
  ['channel, anonymous', await load(async () => (await anon.fetch(`${chan.origin}/hello`)).text())],
  ['channel, ML-DSA-65 authenticated', await load(async () => (await authed.fetch(`${chan.origin}/hello`)).text())],
  ['ChannelSocket echo (authenticated once per socket)', await load(async () => {
    const s = sockets[turn++ % sockets.length];
    await s.send('hello');
    await s.next();
  })],
];
// Chunked OHTTP: a 4 MiB authenticated PUT whose echo streams back (bounded: 8 requests or the cap).
const big = await listen(channelMiddleware(gateway, (req) => ({ status: 200, body: req.body })));
const bigClient = await ChannelClient.connect(big.origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice });
const payload = new Uint8Array(4 << 20).map((_, i) => i & 0xff);
let bigN = 0;
const tb = performance.now();
while (bigN < 8 && performance.now() - tb < MAX_MS) {
  const res = await bigClient.fetch(`${big.origin}/upload`, { method: 'PUT', body: payload });
  if ((await res.arrayBuffer()).byteLength !== payload.length) throw new Error('chunked echo lost bytes');
  bigN++;
}
const bigSecs = (performance.now() - tb) / 1000;
big.server.close();
for (const s of sockets) await s.close();
wss.close();
plain.server.close();
chan.server.close();

// Handshakes: one X-Wing HPKE setup on each side (encapsulate + decapsulate of an empty request).
const msg = new Uint8Array(0);
let h = 0;
const t0 = performance.now();
while (performance.now() - t0 < 3000 || h < 20) {
  const { encapsulated } = await encapsulateRequest(key.config, msg);
  await decapsulateRequest([key], encapsulated);
  h++;
}
const hps = (h * 1000) / (performance.now() - t0);

console.log(`loopback 127.0.0.1, ${N} requests per row, concurrency ${C}, client and server in one Node ${process.version} process\n`);
console.log('| what | requests | req/s | p50 ms | p99 ms |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, r] of rows) console.log(`| ${name} | ${r.n} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
console.log(`\nchunked OHTTP, 4 MiB authenticated PUT + streamed 4 MiB echo, one at a time: ${bigN} in ${bigSecs.toFixed(1)} s, ${((bigN * 4) / bigSecs).toFixed(1)} MiB/s each way`);
console.log(`\nX-Wing handshakes (client encapsulate + gateway decapsulate, one thread): ${hps.toFixed(0)}/s`);
