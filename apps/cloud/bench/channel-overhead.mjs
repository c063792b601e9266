// The cost of @nqc/channel per request in the cloud server's own stack (fastify + the channel's
// fastify plugin), on 127.0.0.1: the same route reached over plain HTTP and through the channel
// (OHTTP, X-Wing, ML-DSA-65 client signature), sequentially, N requests each; and a 1 MiB upload
// (plain vs chunked OHTTP). Bounded: N requests per row. `node apps/cloud/bench/channel-overhead.mjs [N]`
// after building. Prints median and p90 in ms per row.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { ChannelClient } from '@nqc/channel';
import { nqcChannel } from '@nqc/channel/fastify';
import { generateSigningKey } from '@nqc/pql';
import { Gateway } from '@nqc/channel';
import { generateChannelKeys } from '../dist/channel/index.js';

const N = Number(process.argv[2] ?? 100);
const keys = await generateChannelKeys();
const gateway = new Gateway({ keys: keys.gatewayKeys, signingKey: keys.signingKey, clients: { resolve: (k) => k.toString() } });
const app = Fastify();
await app.register(nqcChannel, { gateway });
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 8 << 20 }, (_r, b, done) => done(null, b));
app.get('/api/ping', async (req) => ({ user: req.nqc?.client?.identity?.slice(0, 20) ?? null }));
app.post('/api/upload', async (req) => ({ sha: createHash('sha256').update(req.body).digest('hex') }));
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const user = generateSigningKey();
const client = await ChannelClient.connect(base, { serverKey: keys.signingKey.verifyingKey().toString(), signingKey: user });

async function row(name, n, fn) {
  await fn(); // warm
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const q = (p) => t[Math.min(t.length - 1, Math.floor(p * t.length))].toFixed(1);
  console.log(`${name.padEnd(44)} n=${n}  median ${q(0.5)} ms  p90 ${q(0.9)} ms`);
}
const body = new Uint8Array(1 << 20).fill(7);
await row('GET /api/ping, plain HTTP', N, async () => (await fetch(`${base}/api/ping`)).json());
await row('GET /api/ping, channel (ML-DSA-65 signed)', N, async () => (await client.fetch(`${base}/api/ping`)).json());
const up = Math.max(5, Math.floor(N / 10));
await row('POST 1 MiB /api/upload, plain HTTP', up, async () => (await fetch(`${base}/api/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })).json());
await row('POST 1 MiB /api/upload, channel (chunked OHTTP)', up, async () => (await client.fetch(`${base}/api/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })).json());
await app.close();
