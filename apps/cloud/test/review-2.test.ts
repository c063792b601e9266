// Security review 2 (today's changes: job queue for every aggregate kind, signer statement,
// timeouts, running slot sums). Each finding is an `it.failing` test naming it (S3, S4) with its
// severity: it fails on the current code and passes once fixed. Checks found sound are plain `it`.
// (S1, S2 are @nqc/she findings: packages/she/test/review-sumslots.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decryptAggregate, generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext } from '@nqc/she';
import { ChannelClient } from '@nqc/channel';
import { makePatients } from '../src/patients.js';
import { buildServer } from '../src/server.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { PgBossJobs, type AggregateJobs, type AggregateOutcome, type AggregateRequest, type AggregateRunner } from '../src/jobs/index.js';
import { b64, makeOwner, type Owner } from './fixture.js';
import { pgDescribe, startPostgres, type PgServer } from './postgres/pg-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A job queue standing in for a shared PostgreSQL queue: runs the server's own runner (after an
 * optional delay) unless `forge` is set, which plays a rogue instance (or whoever can write the
 * shared database) completing the job with an outcome of its choosing.
 */
class QueueDouble implements AggregateJobs {
  readonly instance = 'double';
  runner: AggregateRunner | undefined;
  delayMs = 0;
  forge: ((req: AggregateRequest) => AggregateOutcome) | undefined;
  async serve(run: AggregateRunner) {
    this.runner = run;
    return async () => undefined;
  }
  async run(req: AggregateRequest): Promise<AggregateOutcome> {
    if (this.delayMs) await sleep(this.delayMs);
    return this.forge ? this.forge(req) : this.runner!(req);
  }
}

let owner: Owner;
let jobs: QueueDouble;
let app: Awaited<ReturnType<typeof buildServer>>;
let client: ChannelClient;
let base: string;
let datasetId: string;

const call = async (method: string, url: string, payload?: unknown) => {
  const init = payload instanceof Uint8Array ? { method, headers: { 'content-type': 'application/octet-stream' }, body: payload } : payload === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) };
  const res = await client.fetch(base + url, init);
  const text = await res.text();
  return { statusCode: res.status, json: <T>() => JSON.parse(text) as T };
};
const ask = (op: string, path: string) => call('POST', `/api/datasets/${datasetId}/aggregate`, { op, path });
const sumOf = (res: { json<T>(): T }) => res.json<{ result: { ciphertext: string } }>().result.ciphertext;

beforeAll(async () => {
  owner = await makeOwner();
  jobs = new QueueDouble();
  // Short request timeout (1 s, checked every 250 ms): long aggregates must still be answered.
  app = await buildServer({ store: new SqliteStore(':memory:'), jobs, requestTimeoutMs: 1000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = await ChannelClient.connect(base, { serverKey: app.channelServerKey, signingKey: owner.signer });
  const res = await call('POST', '/api/datasets', { name: 'review-2', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) });
  expect(res.statusCode).toBe(201);
  datasetId = res.json<{ id: string }>().id;
  expect((await call('POST', `/api/datasets/${datasetId}/envelopes`, await owner.seal(makePatients(3, 5)))).statusCode).toBe(201);
}, 240_000);

afterAll(async () => {
  await app?.close();
  owner?.keys.dispose();
});

describe('timeouts and the signer statement on the job path', () => {
  it('requestTimeoutMs bounds receiving a request, not the answer: an aggregate that takes 4 x the limit is answered', async () => {
    jobs.delayMs = 4000;
    try {
      const res = await ask('sum', 'age');
      expect(res.statusCode).toBe(200);
    } finally {
      jobs.delayMs = 0;
    }
  }, 240_000);

  it('the signer statement counts only verified envelopes of enrolled writers (sum of per-writer counts = envelopes)', async () => {
    const res = await ask('sum', 'age');
    expect(res.statusCode).toBe(200);
    const { signers } = res.json<{ signers: { envelopes: number; writers: { verifyingKey: string; envelopes: number }[] } }>();
    expect(signers.envelopes).toBe(1);
    expect(signers.writers).toEqual([expect.objectContaining({ verifyingKey: owner.signer.verifyingKey().toString(), envelopes: 1 })]);
    const total = await decryptAggregate(decodeCiphertext(new Uint8Array(Buffer.from(sumOf(res), 'base64'))), owner.he);
    expect(typeof total === 'number' || typeof total === 'bigint').toBe(true);
  }, 240_000);

  it('an aggregate that fails carries no signer statement (only the typed error)', async () => {
    const res = await ask('histogram', 'no_such_group');
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).not.toContain('enforced');
  }, 240_000);
});

describe('S3 (medium): a job outcome read back from the shared queue is trusted as it is', () => {
  // S3: `PgBossJobs.run` returns `job.output.outcome` as stored in the pg-boss row, and the route
  // builds `signers: { enforced: true, ... }` from its `envelopes` and `signedBy` without any
  // check. Any instance on the queue, or anyone who can write the shared database (a store holding
  // ciphertexts, otherwise kept out by the writers' signatures), can complete a reader's job with a
  // result of another kind, any ciphertext, and signer counts that were never verified: the
  // zero-trust claim "aggregated only envelopes whose signatures verified" becomes the DB's word.
  // Fix: MAC job outputs with a key the instances share outside the database (bound to job id and
  // request), and check the outcome (kind matches op, ciphertext of the dataset's key and path,
  // signedBy keys enrolled, counts summing to envelopes) before answering.
  const forged = (result: AggregateOutcome['result'], signedBy: Record<string, number>, envelopes = 1) => (): AggregateOutcome => ({ result, envelopes, signedBy, serverMs: 1, worker: 'rogue' });

  it('S3: a sum answered with a count-kind outcome from the queue is refused', async () => {
    jobs.forge = forged({ kind: 'count', value: 424242 }, { [owner.signer.verifyingKey().toString()]: 1 });
    try {
      const res = await ask('sum', 'age');
      expect(res.statusCode).not.toBe(200);
    } finally {
      jobs.forge = undefined;
    }
  }, 240_000);

  it('S3: signer counts the worker never verified (1000 of 1 envelope, an unenrolled key) are refused, not stated', async () => {
    const real = await ask('sum', 'age');
    const ciphertext = sumOf(real);
    const stranger = generateSigningKey().verifyingKey().toString();
    jobs.forge = forged({ kind: 'sum', ciphertext, bytes: 1 }, { [owner.signer.verifyingKey().toString()]: 1000, [stranger]: 7 });
    try {
      const res = await ask('sum', 'age');
      expect(res.statusCode).not.toBe(200);
    } finally {
      jobs.forge = undefined;
    }
  }, 240_000);
});

pgDescribe(describe)('S4 (low): a job that fails with an untyped error leaks its message to the reader', () => {
  // S4: in-process, an error that is not an NqcCloudError is answered `ERR_CLOUD_INTERNAL
  // 'internal error'` (only its code is logged). On the job path the worker rethrows it, pg-boss
  // stores `{ message, stack }` in the row, and `PgBossJobs.run` puts `output.message` (200
  // characters) into the ERR_CLOUD_JOB_FAILED answer: database errors (host, role, schema names),
  // file paths and SEAL aborts reach the reader. Fix: in `serve`, map untyped errors to
  // `{ ok: false, error: ERR_CLOUD_INTERNAL 'internal error' }` (log the code), and do not echo
  // `output.message` from a failed job.
  let pg: PgServer;
  let queue: PgBossJobs;
  beforeAll(async () => {
    pg = await startPostgres();
    queue = await PgBossJobs.start({ connectionString: pg.url, queue: 'review-2-leak', workerPollSeconds: 0.5, timeoutMs: 120_000 });
    await queue.serve(async () => {
      throw new Error('connect ECONNREFUSED 10.9.8.7:5432 role "nqc_admin" /srv/nqc/secret.conf');
    });
  }, 240_000);
  afterAll(async () => {
    await queue?.close();
    await pg?.stop();
  });

  it('the failure keeps a typed cloud code', async () => {
    await expect(queue.run({ datasetId: 'x', op: 'sum', path: 'age' })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_CLOUD_/) });
  }, 240_000);

  it('S4: the reader is not told the internal error message', async () => {
    let message = '';
    try {
      await queue.run({ datasetId: 'x', op: 'sum', path: 'age' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toMatch(/10\.9\.8\.7|nqc_admin|secret\.conf/);
  }, 240_000);
});
