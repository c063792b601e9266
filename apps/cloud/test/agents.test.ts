// With an @nqc/agents security manager: /metrics counts the cloud's operations, /status answers.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { SecurityManager } from '@nqc/agents';
import { ChannelClient } from '@nqc/channel';
import { buildServer } from '../src/server.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, type Owner } from './fixture.js';

let owner: Owner;
let manager: SecurityManager;
let store: SqliteStore;
let app: Awaited<ReturnType<typeof buildServer>>;
let base: string;
let client: ChannelClient;

beforeAll(async () => {
  owner = await makeOwner();
  manager = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false } });
  store = new SqliteStore(':memory:');
  app = await buildServer({ store, manager, underPressure: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = await ChannelClient.connect(base, { serverKey: app.channelServerKey, signingKey: owner.signer }); // /api is channel-only
}, 240_000);

afterAll(async () => {
  await app?.close();
  await manager?.close();
  await store?.close();
  owner?.keys.dispose();
});

const post = (url: string, body: unknown, type = 'application/json') =>
  client.fetch(base + url, { method: 'POST', headers: { 'content-type': type }, body: body instanceof Uint8Array ? body : JSON.stringify(body) });

test('uploads and aggregates are metered as cloud.check and cloud.aggregate; /status is public information', async () => {
  const { id } = (await (await post('/api/datasets', { writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) })).json()) as { id: string };
  expect((await post(`/api/datasets/${id}/envelopes`, await owner.seal(makePatients(8, 2)), 'application/octet-stream')).status).toBe(201);
  expect((await post(`/api/datasets/${id}/envelopes`, new Uint8Array(100), 'application/octet-stream')).status).toBe(422);
  expect((await post(`/api/datasets/${id}/aggregate`, { op: 'sum', path: 'age' })).status).toBe(200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/nqc_tasks_total\{agent="cloud",op="cloud.check",outcome="ok"\} 1/);
  expect(metrics).toMatch(/nqc_tasks_total\{agent="cloud",op="cloud.check",outcome="(?!ok")[a-z_]+"\} 1/);
  expect(metrics).toMatch(/nqc_tasks_total\{agent="cloud",op="cloud.aggregate",outcome="ok"\} 1/);
  const status = (await (await fetch(`${base}/status`)).json()) as { health: string };
  expect(status.health).toBe('ok');
}, 240_000);
