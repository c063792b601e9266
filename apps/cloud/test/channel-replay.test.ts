// A replayed request (the same encapsulated bytes sent again, as a network attacker would) is refused
// by the gateway's strike register before any route runs: a clear outer 400 ERR_CLOUD_REPLAY, the refusal reported as
// ERR_CHANNEL_REPLAY to the operator, nothing created or stored, and the server keeps serving.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ChannelClient, StrikeRegister } from '@nqc/channel';
import { generateChannelKeys } from '../src/channel/index.js';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let client: ChannelClient;
const refused: string[] = [];
// Records every outer POST (what an attacker on the path can copy).
const sent: { url: string; init: RequestInit }[] = [];
const transport = (async (input: string | URL | Request, init?: RequestInit) => {
  if (init?.method === 'POST') sent.push({ url: String(input), init });
  return fetch(input, init);
}) as typeof fetch;
const replay = async () => {
  const { url, init } = sent.at(-1)!;
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  owner = await makeOwner();
  server = await startServer(':memory:', { user: owner.signer, channel: { onRefuse: (c) => refused.push(c) } });
  client = await ChannelClient.connect(server.base, { serverKey: server.serverKey, signingKey: owner.signer, fetch: transport });
}, 240_000);
afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

const json = (method: string, url: string, body: unknown) => client.fetch(server.base + url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('a replayed dataset creation (chunked) is refused: no second dataset', async () => {
  const res = await json('POST', '/api/datasets', { name: 'once', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) });
  expect(res.status).toBe(201);
  const again = await replay();
  expect({ status: again.status, code: (JSON.parse(again.text) as { error: { code: string } }).error.code }).toEqual({ status: 400, code: 'ERR_CLOUD_REPLAY' });
  expect(refused).toContain('ERR_CHANNEL_REPLAY');
  expect((await server.store.listDatasets()).map((d) => d.name)).toEqual(['once']);
}, 240_000);

test('a replayed upload is refused before the route: nothing stored, not even an audit entry; the server keeps serving', async () => {
  const id = (await server.store.listDatasets())[0]!.id;
  const env = await owner.seal(makePatients(5, 8));
  const up = await client.fetch(`${server.base}/api/datasets/${id}/envelopes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: env });
  expect(up.status).toBe(201);
  const audit = (await server.store.listAudit({ datasetId: id, limit: 1000 })).length;
  refused.length = 0;
  expect((await replay()).status).toBe(400);
  expect((await replay()).status).toBe(400); // and again
  expect(refused).toEqual(['ERR_CHANNEL_REPLAY', 'ERR_CHANNEL_REPLAY']);
  expect(await server.store.listEnvelopes(id)).toHaveLength(1);
  expect((await server.store.listAudit({ datasetId: id, limit: 1000 })).length).toBe(audit);
  const count = await json('POST', `/api/datasets/${id}/aggregate`, { op: 'count', path: 'age' });
  expect(((await count.json()) as { result: { value: number } }).result.value).toBe(5);
}, 240_000);

test('a replayed small (non-chunked) query is refused too', async () => {
  const id = (await server.store.listDatasets())[0]!.id;
  expect((await client.fetch(`${server.base}/api/audit?dataset=${id}`)).status).toBe(200);
  refused.length = 0;
  expect((await replay()).status).toBe(400);
  expect(refused).toEqual(['ERR_CHANNEL_REPLAY']);
}, 120_000);

test('two instances (same keys) sharing one replay register: a request served by one is refused by the other', async () => {
  const keys = await generateChannelKeys();
  const register = new StrikeRegister();
  const seen: string[] = [];
  const a = await startServer(':memory:', { user: owner.signer, channel: { keys, replay: register } });
  const b = await startServer(':memory:', { user: owner.signer, channel: { keys, replay: register, onRefuse: (c) => seen.push(c) } });
  try {
    const c = await ChannelClient.connect(a.base, { serverKey: a.serverKey, signingKey: owner.signer, fetch: transport });
    const res = await c.fetch(`${a.base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }) });
    expect(res.status).toBe(201);
    const { url, init } = sent.at(-1)!;
    expect((await fetch(url.replace(a.base, b.base), init)).status).toBe(400);
    expect(seen).toEqual(['ERR_CHANNEL_REPLAY']);
    expect(await b.store.listDatasets()).toEqual([]);
  } finally {
    await a.close();
    await b.close();
  }
}, 240_000);
