// Uploads travel as chunked OHTTP (read as they arrive, capped). An oversized upload is refused with
// a clear error and nothing is stored: over the route's limit, by the route (encapsulated 413
// ERR_CLOUD_TOO_LARGE); over the gateway's cap, by the gateway before any route runs (outer 413:
// ERR_CHANNEL_LIMIT at the client). The server keeps serving.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ChannelClient, CHUNKED_REQUEST_MEDIA_TYPE } from '@nqc/channel';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

const MiB = 1 << 20;
let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let client: ChannelClient;
let id: string;
const refused: string[] = [];
const types: string[] = [];
const transport = (async (input: string | URL | Request, init?: RequestInit) => {
  if (init?.method === 'POST') types.push(String((init.headers as Record<string, string>)['content-type']));
  return fetch(input, init);
}) as typeof fetch;
const upload = (body: Uint8Array) => client.fetch(`${server.base}/api/datasets/${id}/envelopes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });

beforeAll(async () => {
  owner = await makeOwner();
  // Envelopes up to 1 MiB, dataset requests up to 3 MiB: the gateway takes inner bodies up to 4 MiB.
  server = await startServer(':memory:', { user: owner.signer, maxEnvelopeBytes: MiB, maxDatasetBytes: 3 * MiB, channel: { onRefuse: (c) => refused.push(c) } });
  client = await ChannelClient.connect(server.base, { serverKey: server.serverKey, signingKey: owner.signer, fetch: transport });
  const res = await client.fetch(`${server.base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }) });
  expect(res.status).toBe(201);
  id = ((await res.json()) as { id: string }).id;
}, 240_000);
afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

test('an upload over 256 KiB goes as chunked OHTTP and is stored', async () => {
  const env = await owner.seal(makePatients(3000, 4));
  expect(env.byteLength).toBeGreaterThan(256 * 1024);
  types.length = 0;
  expect((await upload(env)).status).toBe(201);
  expect(types).toEqual([CHUNKED_REQUEST_MEDIA_TYPE]);
}, 240_000);

test('over the route\'s limit: encapsulated 413 ERR_CLOUD_TOO_LARGE, nothing stored', async () => {
  const before = await server.store.listEnvelopes(id);
  const res = await upload(new Uint8Array(MiB + 1));
  expect(res.status).toBe(413);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_CLOUD_TOO_LARGE');
  expect(await server.store.listEnvelopes(id)).toEqual(before);
}, 120_000);

test('over the gateway\'s cap: refused as it streams in (ERR_CHANNEL_LIMIT), no route runs, nothing stored, the server keeps serving', async () => {
  const before = await server.store.listEnvelopes(id);
  const audit = (await server.store.listAudit({ datasetId: id, limit: 1000 })).length;
  await expect(upload(new Uint8Array(5 * MiB))).rejects.toMatchObject({ code: 'ERR_CHANNEL_LIMIT' });
  expect(refused).toContain('ERR_CHANNEL_LIMIT');
  expect(await server.store.listEnvelopes(id)).toEqual(before);
  expect((await server.store.listAudit({ datasetId: id, limit: 1000 })).length).toBe(audit);
  const count = await client.fetch(`${server.base}/api/datasets/${id}/aggregate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'count', path: 'age' }) });
  expect(((await count.json()) as { result: { value: number } }).result.value).toBe(3000);
}, 240_000);
