// Histograms and grouped sums as pg-boss jobs: two server instances on one PostgreSQL database (A
// only enqueues, B works every job) give the answers a SQLite server gives, B runs A's jobs, the
// signer statement names the enrolled writers on both paths, and a worker's refusal keeps its code.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext } from '@nqc/she';
import { AMOUNT_BINS, AMOUNT_HISTOGRAM, BANK_FIELDS, CATEGORIES, CATEGORY_SUMS, encodeTransaction, makeTransactions } from '../../src/bank.js';
import { binOf } from '../../src/aggregates/groups.js';
import { b64, makeOwner, startServer, type Owner } from '../fixture.js';
import { useStore } from '../stores.js';
import { pgDescribe, startPostgres, type PgServer } from './pg-server.js';
import { postgresStore } from './use-postgres.js';

type Server = Awaited<ReturnType<typeof startServer>>;
interface Part { key: string; ciphertext: string }
interface Answer {
  op: string;
  result: { kind: string; group: string; parts: Part[]; bytes: number };
  signers: { enforced: boolean; envelopes: number; enrolledWriters: number; writers: { keyId: string; verifyingKey: string; envelopes: number }[]; statement: string };
  timings: { serverMs: number; worker?: string };
}
let pgServer: PgServer;
let bank: Owner;
let branch: ReturnType<typeof generateSigningKey>;
let a: Server; // enqueues only
let b: Server; // works every job
let sqlite: Server;
let pgId: string;
let sqliteId: string;
const first = makeTransactions(90, 21);
const second = makeTransactions(30, 22);

const errorOf = (res: { json<T>(): T }) => res.json<{ error: { code: string; message: string } }>().error;
const ask = (s: Server, id: string, op: string, path: unknown) => s.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op, path } });
const upload = (s: Server, id: string, bytes: Uint8Array, as: unknown) =>
  s.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(bytes), as } as never);
function totals(parts: readonly Part[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) {
    const ct = decodeCiphertext(new Uint8Array(Buffer.from(p.ciphertext, 'base64')));
    out[p.key] = Number(bank.he.decryptExact(ct).reduce((x, y) => x + y, 0n));
  }
  return out;
}

pgDescribe(describe)('histograms and grouped sums as jobs on two instances', () => {
  beforeAll(async () => {
    pgServer = await startPostgres();
    bank = await makeOwner(BANK_FIELDS);
    branch = generateSigningKey();
    useStore(postgresStore(pgServer.url, { cluster: 'groups', instance: 'A', work: false }));
    a = await startServer(':memory:', { user: bank.signer });
    useStore(postgresStore(pgServer.url, { cluster: 'groups', instance: 'B' }));
    b = await startServer(':memory:', { user: bank.signer });
    useStore(undefined);
    sqlite = await startServer(':memory:', { user: bank.signer });
    // Additions only: a bundle without Galois keys.
    const bare = await (await bank.keys.evaluationBundle({ columnSums: false })).encode();
    const writers = [bank.signer.verifyingKey().toString(), branch.verifyingKey().toString()];
    const ids: string[] = [];
    for (const s of [a, sqlite]) {
      const res = await s.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'bank', writers, bundle: b64(bare) } });
      expect(res.statusCode).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    [pgId, sqliteId] = ids as [string, string];
    const envs = [await bank.seal(first.map(encodeTransaction)), await bank.seal(second.map(encodeTransaction), branch)];
    for (const [s, id] of [[a, pgId], [sqlite, sqliteId]] as const) {
      expect((await upload(s, id, envs[0]!, bank.signer)).statusCode).toBe(201);
      expect((await upload(s, id, envs[1]!, branch)).statusCode).toBe(201);
    }
  }, 300_000);
  afterAll(async () => {
    useStore(undefined);
    await a?.close();
    await b?.close();
    await sqlite?.close();
    bank?.keys.dispose();
    await pgServer?.stop();
  }, 120_000);

  test('histogram and groupSum through A (worked by B) and through B equal the SQLite server\'s and the plaintext', async () => {
    const all = [...first, ...second];
    for (const [op, group] of [['groupSum', CATEGORY_SUMS.name], ['histogram', AMOUNT_HISTOGRAM.name]] as const) {
      const viaA = await ask(a, pgId, op, group);
      const viaB = await ask(b, pgId, op, group);
      const local = await ask(sqlite, sqliteId, op, group);
      expect([viaA.statusCode, viaB.statusCode, local.statusCode]).toEqual([200, 200, 200]);
      const [ja, jb, jl] = [viaA, viaB, local].map((r) => r.json<Answer>()) as [Answer, Answer, Answer];
      expect(totals(ja.result.parts)).toEqual(totals(jl.result.parts));
      expect(totals(jb.result.parts)).toEqual(totals(jl.result.parts));
      expect(ja.result).toMatchObject({ kind: 'slots', group });
      expect(ja.result.bytes).toBe(jl.result.bytes);
      // A runs no worker: B took A's job; the SQLite server has no queue.
      expect([ja.timings.worker, jb.timings.worker, jl.timings.worker]).toEqual(['B', 'B', undefined]);
      // The same signer statement on both paths, naming both writers.
      expect(ja.signers).toEqual(jl.signers);
      expect(ja.signers.writers.map((w) => [w.verifyingKey, w.envelopes])).toEqual([
        [bank.signer.verifyingKey().toString(), 1],
        [branch.verifyingKey().toString(), 1],
      ]);
      expect(ja.signers.statement).toMatch(/additions only/);
    }
    const sums = totals((await ask(a, pgId, 'groupSum', CATEGORY_SUMS.name)).json<Answer>().result.parts);
    for (const c of CATEGORIES) expect(sums[c]).toBe(all.filter((t) => t.category === c).reduce((n, t) => n + Math.round(t.amount * 100), 0));
    const counts = totals((await ask(a, pgId, 'histogram', AMOUNT_HISTOGRAM.name)).json<Answer>().result.parts);
    for (const bin of AMOUNT_BINS) expect(counts[bin.key]).toBe(all.filter((t) => binOf(AMOUNT_BINS, t.amount) === bin.key).length);
    // The audit log names the worker for the group aggregates too.
    const audit = (await a.app.inject({ url: `/api/audit?dataset=${pgId}&limit=1000` })).json<{ entries: { action: string; detail: { op?: string; worker?: string; keys?: number } }[] }>().entries;
    const groupEntries = audit.filter((e) => e.action === 'aggregate' && (e.detail.op === 'histogram' || e.detail.op === 'groupSum'));
    expect(groupEntries.length).toBe(6);
    expect(groupEntries.every((e) => e.detail.worker === 'B' && typeof e.detail.keys === 'number')).toBe(true);
  }, 300_000);

  test('a worker\'s refusal of a group reaches the requester with its code (unknown group: 400); a sum names the writers too', async () => {
    const res = await ask(a, pgId, 'histogram', 'salary_bins');
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'ERR_CLOUD_BAD_REQUEST' });
    expect(errorOf(res).message).toMatch(/no HE field group "salary_bins"/);
    const count = (await ask(a, pgId, 'count', 'amount')).json<Answer>();
    expect(count.timings.worker).toBe('B');
    expect(count.signers.writers.map((w) => w.envelopes)).toEqual([1, 1]);
  }, 240_000);
});
