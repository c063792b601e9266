// PostgresStore against a real PostgreSQL server: the Store contract (as SqliteStore keeps it),
// bytea read in slices, the duplicate refusal, an audit sequence in commit order across two instances, and
// schema creation by two instances at once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { NqcCloudError } from '../../src/errors.js';
import { PostgresStore, READ_SLICE } from '../../src/postgres/store.js';
import type { DatasetRow, EnvelopeMeta } from '../../src/store.js';
import { pgDescribe, startPostgres, type PgServer } from './pg-server.js';

let server: PgServer;
let a: PostgresStore;
let b: PostgresStore;

const row = (id: string): DatasetRow => ({ id, name: `set ${id}`, owner: 'nqc-pub-owner', readers: ['nqc-pub-r'], writers: ['nqc-pub-w1', 'nqc-pub-w2'], bundle: new Uint8Array([1, 2, 3]), heKeyId: 'k1', createdAt: new Date().toISOString() });
const meta = (id: string, datasetId: string, bytes: Uint8Array, sha256 = id): EnvelopeMeta => ({ id, datasetId, size: bytes.length, sha256, signer: 'nqc-pub-w1', fields: ['age', 'bill'], records: 7, createdAt: new Date().toISOString(), signed: sha256 });

pgDescribe(describe)('PostgresStore', () => {
  beforeAll(async () => {
    server = await startPostgres();
    // Two instances open (and create) the same schema at once.
    [a, b] = await Promise.all([PostgresStore.open({ connectionString: server.url, schema: 'st' }), PostgresStore.open({ connectionString: server.url, schema: 'st' })]);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.stop();
  });

  test('datasets round-trip, seen by the other instance', async () => {
    await a.createDataset(row('d1'));
    await a.createDataset(row('d2'));
    const d1 = (await a.getDataset('d1'))!;
    expect(await b.getDataset('d1')).toEqual({ ...row('d1'), createdAt: d1.createdAt });
    expect(d1.bundle).toEqual(new Uint8Array([1, 2, 3]));
    expect((await b.listDatasets()).map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(await b.getDataset('nope')).toBeUndefined();
  });

  test('envelopes: bytes over several read slices, prefix, order, duplicate refused from either instance', async () => {
    const big = randomBytes(READ_SLICE * 2 + 12345);
    const small = randomBytes(100);
    await a.putEnvelope(meta('e1', 'd1', big), big);
    await b.putEnvelope(meta('e2', 'd1', small), small);
    expect(Buffer.from((await b.getEnvelope('e1'))!).equals(big)).toBe(true);
    expect(Buffer.from(await a.envelopePrefix('e1', 48)).equals(big.subarray(0, 48))).toBe(true);
    expect(await a.envelopePrefix('nope', 48)).toHaveLength(0);
    expect(await a.getEnvelope('nope')).toBeUndefined();
    expect((await a.listEnvelopes('d1')).map((m) => [m.id, m.size, m.fields, m.records])).toEqual([['e1', big.length, ['age', 'bill'], 7], ['e2', 100, ['age', 'bill'], 7]]);
    const got: Buffer[] = [];
    for await (const e of b.envelopes('d1')) got.push(Buffer.from(e));
    expect(got.map((g) => g.length)).toEqual([big.length, 100]);
    expect(await a.hasSigned('d1', 'e2')).toBe(true);
    expect(await a.hasSigned('d2', 'e2')).toBe(false);
    const again = b.putEnvelope({ ...meta('e3', 'd1', small), sha256: 'e2' }, small);
    await expect(again).rejects.toBeInstanceOf(NqcCloudError);
    await expect(again).rejects.toMatchObject({ code: 'ERR_CLOUD_DUPLICATE' });
    // The same bytes in another dataset are fine.
    await a.putEnvelope({ ...meta('e4', 'd2', small), sha256: 'e2' }, small);
    expect((await a.listEnvelopes('d1')).length).toBe(2);
  }, 60_000);

  test('the audit sequence is monotonic in commit order with two instances appending at once', async () => {
    const entries = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).audit('test.append', i % 3 ? 'd1' : null, { i })));
    const seqs = entries.map((e) => e.seq).sort((x, y) => x - y);
    expect(new Set(seqs).size).toBe(60);
    const listed = await b.listAudit({ limit: 1000 });
    const tail = listed.filter((e) => e.action === 'test.append');
    expect(tail.map((e) => e.seq)).toEqual(seqs);
    for (let i = 1; i < listed.length; i++) expect(listed[i]!.seq).toBeGreaterThan(listed[i - 1]!.seq);
    const since = await a.listAudit({ since: seqs[29]!, limit: 1000, datasetId: 'd1' });
    expect(since.every((e) => e.seq > seqs[29]! && e.datasetId === 'd1')).toBe(true);
    expect(since[0]!.detail).toHaveProperty('i');
  }, 60_000);

  test('a bad schema name and an unreachable server are clear errors', async () => {
    await expect(PostgresStore.open({ connectionString: server.url, schema: 'x; DROP' })).rejects.toThrow(/schema/);
    await expect(PostgresStore.open({ connectionString: `postgresql://nqc@/nqc?host=${encodeURIComponent(server.dir)}-missing` })).rejects.toThrow();
  }, 60_000);
});
