// Authorisation per user over the channel: a user is their verifying key. The creator owns the
// dataset; only enrolled writers upload (besides the envelope's own signature check); only the
// owner and the readers it named read aggregates, envelopes and the audit log. Every refusal is a
// clear 403 ERR_CLOUD_FORBIDDEN and stores nothing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateSigningKey } from '@nqc/core/node';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let id: string;
const writer = generateSigningKey(); // enrolled writer, not the owner
const reader = generateSigningKey(); // named reader
const stranger = generateSigningKey();
const pub = (k: ReturnType<typeof generateSigningKey>) => k.verifyingKey().toString();
const errorOf = (res: { json<T>(): T }) => res.json<{ error: { code: string; message: string } }>().error;
const upload = (bytes: Uint8Array, as: ReturnType<typeof generateSigningKey>) =>
  server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: bytes, as });
const ask = (as: ReturnType<typeof generateSigningKey>) => server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'count', path: 'age' }, as });

beforeAll(async () => {
  owner = await makeOwner();
  server = await startServer(':memory:', { user: owner.signer });
  // The owner enrols a writer (and not itself) and names a reader.
  const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'shared', writers: [pub(writer)], readers: [pub(reader)], bundle: b64(owner.bundle) } });
  expect(res.statusCode).toBe(201);
  id = res.json<{ id: string }>().id;
}, 240_000);
afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

describe('uploads: only from enrolled writers', () => {
  test('the enrolled writer uploads an envelope it signed (201)', async () => {
    expect((await upload(await owner.seal(makePatients(6, 1), writer), writer)).statusCode).toBe(201);
  }, 120_000);

  test('a stranger, the owner (not enrolled) and a reader are refused (403), even with an enrolled writer\'s envelope; nothing stored', async () => {
    const env = await owner.seal(makePatients(3, 2), writer); // a valid envelope: the sender is what is refused
    for (const as of [stranger, owner.signer, reader]) {
      const res = await upload(env, as);
      expect(res.statusCode).toBe(403);
      expect(errorOf(res)).toMatchObject({ code: 'ERR_CLOUD_FORBIDDEN', message: expect.stringMatching(/enrolled/) });
    }
    expect(await server.store.listEnvelopes(id)).toHaveLength(1);
    // The same envelope from the writer is still accepted: the refusals left nothing behind.
    expect((await upload(env, writer)).statusCode).toBe(201);
  }, 120_000);

  test('the enrolled writer sending a stranger-signed envelope is still refused by the signature check (403 ERR_CLOUD_UNENROLLED_WRITER)', async () => {
    const res = await upload(await owner.seal(makePatients(3, 3), stranger), writer);
    expect([res.statusCode, errorOf(res).code]).toEqual([403, 'ERR_CLOUD_UNENROLLED_WRITER']);
  }, 120_000);
});

describe('reading: the owner and named readers only', () => {
  test('owner and reader get aggregates, envelopes and the audit log', async () => {
    for (const as of [owner.signer, reader]) {
      expect((await ask(as)).json<{ result: { value: number } }>().result.value).toBe(9);
      expect((await server.app.inject({ url: `/api/datasets/${id}/envelopes`, as })).statusCode).toBe(200);
      expect((await server.app.inject({ url: `/api/audit?dataset=${id}`, as })).statusCode).toBe(200);
    }
  }, 120_000);

  test('a writer and a stranger are refused (403 ERR_CLOUD_FORBIDDEN) for aggregates, envelopes and audit', async () => {
    const before = (await server.store.listAudit({ datasetId: id, limit: 1000 })).length;
    for (const as of [writer, stranger]) {
      for (const res of [await ask(as), await server.app.inject({ url: `/api/datasets/${id}/envelopes`, as }), await server.app.inject({ url: `/api/audit?dataset=${id}`, as })]) {
        expect([res.statusCode, errorOf(res).code]).toEqual([403, 'ERR_CLOUD_FORBIDDEN']);
      }
    }
    expect((await server.store.listAudit({ datasetId: id, limit: 1000 })).length).toBe(before); // no aggregate ran
  }, 120_000);

  test('the list shows each user the datasets it belongs to; a stranger sees none and cannot open it', async () => {
    const list = async (as: ReturnType<typeof generateSigningKey>) => (await server.app.inject({ url: '/api/datasets', as })).json<{ datasets: { id: string }[] }>().datasets.map((d) => d.id);
    expect(await list(owner.signer)).toEqual([id]);
    expect(await list(writer)).toEqual([id]);
    expect(await list(reader)).toEqual([id]);
    expect(await list(stranger)).toEqual([]);
    const res = await server.app.inject({ url: `/api/datasets/${id}`, as: stranger });
    expect([res.statusCode, errorOf(res).code]).toEqual([403, 'ERR_CLOUD_FORBIDDEN']);
  }, 120_000);

  test('the audit log needs a dataset (400), and readers must be verifying keys (422)', async () => {
    expect(errorOf(await server.app.inject({ url: '/api/audit' })).code).toBe('ERR_CLOUD_BAD_REQUEST');
    const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [pub(writer)], readers: [owner.signer.toString()], bundle: b64(owner.bundle) } });
    expect([res.statusCode, errorOf(res).code]).toEqual([422, 'ERR_CLOUD_BAD_WRITER']);
    expect(JSON.stringify(res.json())).not.toContain(owner.signer.toString().slice(0, 30));
  }, 120_000);
});
