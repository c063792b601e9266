// Load shedding (@fastify/under-pressure, through @nqc/agents' plugin): a shed request is answered
// 503 ERR_CLOUD_BUSY with Retry-After, not 500; through the channel, inside the encrypted response.
// Deterministic: the pressure is the health check's answer (a flag), not a timed event-loop stall.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecurityManager } from '@nqc/agents';
import { ChannelClient, CHUNKED_REQUEST_MEDIA_TYPE } from '@nqc/channel';
import { buildServer } from '../src/server.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { b64, makeOwner, type Owner } from './fixture.js';

type Err = { error: { code: string; message: string } };
let owner: Owner;
let manager: SecurityManager;
let store: SqliteStore;
let app: Awaited<ReturnType<typeof buildServer>>;
let base: string;
let client: ChannelClient;
let healthy = true;

/** Polls `probe` (at most ~10 s) until it gives `status`. */
async function until(status: number, probe: () => Promise<number>): Promise<void> {
  let s = await probe();
  for (let i = 0; i < 400 && s !== status; i++) {
    await new Promise((r) => setTimeout(r, 25));
    s = await probe();
  }
  expect(s).toBe(status);
}

beforeAll(async () => {
  owner = await makeOwner();
  manager = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false } });
  store = new SqliteStore(':memory:');
  // No event-loop check (a busy machine would shed at random): the health check is the pressure.
  app = await buildServer({ store, manager, underPressure: { maxEventLoopDelay: 0, healthCheck: async () => healthy, healthCheckInterval: 20, retryAfter: 7 } });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = await ChannelClient.connect(base, { serverKey: app.channelServerKey, signingKey: owner.signer });
}, 240_000);
afterAll(async () => {
  await app?.close();
  await manager?.close();
  await store?.close();
  owner?.keys.dispose();
});

const list = () => client.fetch(`${base}/api/datasets`);

describe('under pressure', () => {
  it('a channel request: encrypted 503 ERR_CLOUD_BUSY with Retry-After; plain routes: the same, in clear; then it recovers', async () => {
    const created = await client.fetch(`${base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }) });
    expect(created.status).toBe(201);
    healthy = false;
    await until(503, async () => (await list()).status);
    const res = await list();
    expect({ status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as Err).error.code }).toEqual({ status: 503, retryAfter: '7', code: 'ERR_CLOUD_BUSY' });
    const metrics = await fetch(`${base}/metrics`);
    expect({ status: metrics.status, retryAfter: metrics.headers.get('retry-after'), code: ((await metrics.json()) as Err).error.code }).toEqual({ status: 503, retryAfter: '7', code: 'ERR_CLOUD_BUSY' });
    // A chunked request (a large body) is shed before its body is read: outer 503 with Retry-After.
    const chunked = await fetch(`${base}/.well-known/ohttp-gateway`, { method: 'POST', headers: { 'content-type': CHUNKED_REQUEST_MEDIA_TYPE }, body: new Uint8Array(300 * 1024) });
    expect({ status: chunked.status, retryAfter: chunked.headers.get('retry-after'), code: ((await chunked.json()) as Err).error.code }).toEqual({ status: 503, retryAfter: '7', code: 'ERR_CLOUD_BUSY' });
    // ChannelClient reports it as the gateway's 503 (a typed channel error).
    await expect(client.fetch(`${base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', chunked: true })).rejects.toMatchObject({ code: 'ERR_CHANNEL_PROTOCOL', message: expect.stringContaining('503') });
    healthy = true;
    await until(200, async () => (await list()).status);
  }, 120_000);
});

describe('the default load shedding (the manager closed)', () => {
  it('under-pressure\'s own 503 (FST_UNDER_PRESSURE) is 503 ERR_CLOUD_BUSY with its Retry-After, not 500', async () => {
    const m = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false } });
    const s = new SqliteStore(':memory:');
    // pressureHandler undefined: under-pressure's default reply (its error, through the error handler).
    const a = await buildServer({ store: s, manager: m, underPressure: { maxEventLoopDelay: 0, healthCheck: async () => m.status().health !== 'closed', healthCheckInterval: 20, retryAfter: 9, ...({ pressureHandler: undefined } as object) } });
    try {
      const url = `${await a.listen({ host: '127.0.0.1', port: 0 })}/status`;
      expect((await fetch(url)).status).toBe(200);
      await m.close();
      await until(503, async () => (await fetch(url)).status);
      const r = await fetch(url);
      expect({ status: r.status, retryAfter: r.headers.get('retry-after'), code: ((await r.json()) as Err).error.code }).toEqual({ status: 503, retryAfter: '9', code: 'ERR_CLOUD_BUSY' });
    } finally {
      await a.close();
      await s.close();
    }
  }, 120_000);
});
