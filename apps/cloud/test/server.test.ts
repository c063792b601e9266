// The server end to end in-process (fastify inject): datasets, uploads, aggregates decrypted by the
// owner, and every refusal (nothing stored, the server keeps serving).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decryptAggregate, generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext } from '@nqc/she';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';


let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let datasetId: string;
const patients = makePatients(50, 7);

beforeAll(async () => {
  owner = await makeOwner();
  server = await startServer(':memory:', { maxEnvelopeBytes: 2 * 1024 * 1024, user: owner.signer }); // the owner creates and uploads
  const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'centre A', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
  expect(res.statusCode).toBe(201);
  datasetId = res.json<{ id: string }>().id;
}, 240_000);

afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

const upload = (bytes: Uint8Array, id = datasetId) =>
  server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(bytes) });
const stored = async () => (await server.app.inject({ url: `/api/datasets/${datasetId}/envelopes` })).json<{ envelopes: unknown[] }>().envelopes.length;
const ask = (op: string, path: string) => server.app.inject({ method: 'POST', url: `/api/datasets/${datasetId}/aggregate`, payload: { op, path } });
const errorOf = (res: { json<T>(): T }) => res.json<{ error: { code: string; message: string; detail?: string } }>().error;

describe('the patient scenario', () => {
  test('uploads a signed column-packed dataset; sum, mean and count are decrypted by the owner only', async () => {
    const env = await owner.seal(patients);
    const res = await upload(env);
    expect(res.statusCode).toBe(201);
    const meta = res.json<{ size: number; fields: string[]; records: number; signerEnrolled: boolean; signer: string }>();
    expect(meta).toMatchObject({ size: env.byteLength, records: 50, signerEnrolled: true, signer: owner.signer.verifyingKey().toString() });
    expect(meta.fields.sort()).toEqual(['age', 'bill', 'stay']);

    const sum = await ask('sum', 'age');
    expect(sum.statusCode).toBe(200);
    const body = sum.json<{ result: { kind: string; ciphertext: string }; signers: { enforced: boolean; envelopes: number; enrolledWriters: number; statement: string } }>();
    expect(body.signers).toMatchObject({ enforced: true, envelopes: 1, enrolledWriters: 1 });
    expect(body.signers.statement).toMatch(/signatures verified/);
    const ct = decodeCiphertext(new Uint8Array(Buffer.from(body.result.ciphertext, 'base64')));
    expect(decryptAggregate(ct, owner.he)).toBe(patients.reduce((n, p) => n + p.age, 0));

    const mean = (await ask('mean', 'bill')).json<{ result: { kind: string; sum: string; count: number } }>().result;
    expect(mean.count).toBe(50);
    const billSum = decryptAggregate(decodeCiphertext(new Uint8Array(Buffer.from(mean.sum, 'base64'))), owner.he);
    expect(billSum).toBeCloseTo(patients.reduce((n, p) => n + p.bill, 0), 2);

    const count = (await ask('count', 'stay')).json<{ result: { kind: string; value: number } }>().result;
    expect(count).toEqual({ kind: 'count', value: 50 });
  }, 240_000);

  test('a second upload is added to the aggregate; the audit log lists what the server did', async () => {
    const more = makePatients(5, 99);
    expect((await upload(await owner.seal(more))).statusCode).toBe(201);
    const sum = (await ask('sum', 'stay')).json<{ result: { ciphertext: string }; signers: { envelopes: number } }>();
    expect(sum.signers.envelopes).toBe(2);
    const total = [...patients, ...more].reduce((n, p) => n + p.stay, 0);
    expect(decryptAggregate(decodeCiphertext(new Uint8Array(Buffer.from(sum.result.ciphertext, 'base64'))), owner.he)).toBe(total);
    const audit = (await server.app.inject({ url: `/api/audit?dataset=${datasetId}` })).json<{ entries: { action: string }[] }>().entries.map((e) => e.action);
    expect(audit[0]).toBe('dataset.create');
    expect(audit.filter((a) => a === 'envelope.store')).toHaveLength(2);
    expect(audit).toContain('aggregate');
  }, 240_000);

  test('an unknown field is a clear 400', async () => {
    const res = await ask('sum', 'salary');
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(/no HE field "salary"/);
  }, 120_000);
});

describe('refusals: clear error, nothing stored, the server keeps serving', () => {
  const refused = async (bytes: Uint8Array, status: number, code: string) => {
    const before = await stored();
    const res = await upload(bytes);
    expect(res.statusCode).toBe(status);
    expect(errorOf(res).code).toBe(code);
    expect(await stored()).toBe(before);
    expect((await ask('count', 'age')).statusCode).toBe(200);
    return errorOf(res);
  };

  test('an oversized upload (413)', async () => {
    await refused(new Uint8Array(2 * 1024 * 1024 + 1), 413, 'ERR_CLOUD_TOO_LARGE');
  }, 120_000);

  test('malformed envelopes: random bytes, a truncated envelope, an empty body (422)', async () => {
    const e = await refused(new Uint8Array(4096).fill(7), 422, 'ERR_CLOUD_BAD_ENVELOPE');
    expect(e.detail).toMatch(/^ERR_FORMAT_/);
    const env = await owner.seal(patients.slice(0, 3));
    const cut = await refused(env.subarray(0, env.length - 100), 403, 'ERR_CLOUD_UNENROLLED_WRITER');
    expect(cut.message).toMatch(/enrolled/);
    expect(errorOf(await upload(new Uint8Array(0))).code).toMatch(/ERR_CLOUD_BAD_/);
  }, 120_000);

  test('forged HE fields from an unenrolled writer, and an unsigned envelope (403)', async () => {
    const mallory = generateSigningKey();
    const forged = await owner.seal(makePatients(3, 5).map((p) => ({ ...p, age: 130 })), mallory);
    const e = await refused(forged, 403, 'ERR_CLOUD_UNENROLLED_WRITER');
    expect(e.detail).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    await refused(await owner.seal(patients.slice(0, 3), null), 403, 'ERR_CLOUD_UNENROLLED_WRITER');
  }, 120_000);

  test('an enrolled writer\'s envelope with one HE byte changed (403: the signature no longer verifies)', async () => {
    const env = await owner.seal(patients.slice(0, 3));
    const bad = new Uint8Array(env);
    bad[Math.floor(bad.length / 3)]! ^= 1;
    await refused(bad, 403, 'ERR_CLOUD_UNENROLLED_WRITER');
  }, 120_000);

  test('a replayed upload (the same envelope again) is refused (409): it would be counted twice', async () => {
    const env = await owner.seal(makePatients(4, 1234));
    expect((await upload(env)).statusCode).toBe(201);
    const sumBefore = (await ask('count', 'age')).json<{ result: { value: number } }>().result.value;
    const e = await refused(env, 409, 'ERR_CLOUD_DUPLICATE');
    expect(e.message).toMatch(/already stored/);
    expect((await ask('count', 'age')).json<{ result: { value: number } }>().result.value).toBe(sumBefore);
  }, 120_000);

  test('the wrong content type (415) and an unknown dataset (404)', async () => {
    const json = await server.app.inject({ method: 'POST', url: `/api/datasets/${datasetId}/envelopes`, payload: { envelope: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(errorOf(await upload(new Uint8Array(10), 'nope')).code).toBe('ERR_CLOUD_NOT_FOUND');
  }, 120_000);

  test('refusals are in the audit log with their codes only', async () => {
    const entries = (await server.app.inject({ url: `/api/audit?dataset=${datasetId}&limit=1000` })).json<{ entries: { action: string; detail: { code?: string } }[] }>().entries;
    const codes = entries.filter((x) => x.action === 'envelope.refuse').map((x) => x.detail.code);
    expect(codes).toEqual(expect.arrayContaining(['ERR_CLOUD_BAD_ENVELOPE', 'ERR_CLOUD_UNENROLLED_WRITER']));
  }, 120_000);
});

describe('the aggregate checks signatures again', () => {
  test('an unsigned envelope written into the store behind the server\'s back makes the aggregate refuse (403)', async () => {
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
    const id = created.json<{ id: string }>().id;
    expect((await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: await owner.seal(patients.slice(0, 4)) })).statusCode).toBe(201);
    const sneaked = await owner.seal(patients.slice(0, 4), null);
    await server.store.putEnvelope({ id: 'sneaked', datasetId: id, size: sneaked.length, sha256: '00', signer: 'none', fields: ['age'], records: 4, createdAt: new Date().toISOString() }, sneaked);
    const res = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'sum', path: 'age' } });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('ERR_CLOUD_UNENROLLED_WRITER');
  }, 240_000);
});

describe('a sum that could overflow the plain modulus', () => {
  test('is refused with ERR_CLOUD_OVERFLOW (422), not reported as a malformed envelope', async () => {
    const big = await makeOwner([{ path: 'amount', type: 'integer', min: 0, max: 2 ** 38 }]);
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [big.signer.verifyingKey().toString()], bundle: b64(big.bundle) }, as: big.signer });
    const id = created.json<{ id: string }>().id;
    const env = await big.seal([{ amount: 1 }, { amount: 2 }, { amount: 3 }]);
    const up = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: env, as: big.signer });
    expect(up.statusCode).toBe(201);
    const res = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'sum', path: 'amount' }, as: big.signer });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res)).toMatchObject({ code: 'ERR_CLOUD_OVERFLOW', detail: 'ERR_SHE_OVERFLOW' });
    expect((await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'count', path: 'amount' }, as: big.signer })).json<{ result: { value: number } }>().result.value).toBe(3);
    big.keys.dispose();
  }, 240_000);
});

describe('no endpoint accepts a secret key', () => {
  test('an HE secret key set as the bundle is refused (422), a signing secret key as a writer too', async () => {
    const secret = await owner.keys.encode();
    const r1 = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [owner.signer.verifyingKey().toString()], bundle: b64(secret) } });
    expect(r1.statusCode).toBe(422);
    expect(errorOf(r1).code).toBe('ERR_CLOUD_BAD_BUNDLE');
    expect(JSON.stringify(r1.json())).not.toContain(b64(secret).slice(0, 40));
    const r2 = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [owner.signer.toString()], bundle: b64(owner.bundle) } });
    expect(r2.statusCode).toBe(422);
    expect(errorOf(r2).code).toBe('ERR_CLOUD_BAD_WRITER');
    expect(JSON.stringify(r2.json())).not.toContain(owner.signer.toString().slice(0, 30));
    const list = (await server.app.inject({ url: '/api/datasets' })).json<{ datasets: unknown[] }>().datasets;
    expect(list).toHaveLength(2); // nothing was created by the refusals; the overflow test's dataset is another user's
  }, 120_000);
});

describe('the envelope list', () => {
  test('shows each envelope\'s first 48 bytes in hex, read without loading the envelope', async () => {
    const env = await owner.seal(makePatients(2, 4321));
    const id = (await upload(env)).json<{ id: string }>().id;
    const list = (await server.app.inject({ url: `/api/datasets/${datasetId}/envelopes` })).json<{ envelopes: { id: string; hexExcerpt: string }[] }>().envelopes;
    expect(list.find((e) => e.id === id)?.hexExcerpt).toBe(Buffer.from(env.subarray(0, 48)).toString('hex'));
    expect(await server.store.envelopePrefix('nope', 48)).toHaveLength(0);
  }, 120_000);
});
