// Zero trust on PostgreSQL, checked: after the patient scenario on two instances (uploads through
// A, a refusal, aggregates through B as pg-boss jobs), no plaintext marker appears in any row of
// the store's tables or of pg-boss's job tables (job data and outputs), in the database's files
// on disk, in the PostgreSQL server log, in either instance's logs (trace) or in any response.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateSigningKey } from '@nqc/core/node';
import pg from 'pg';
import { makePatients, type Patient } from '../../src/patients.js';
import { b64, makeOwner, startServer } from '../fixture.js';
import { useStore } from '../stores.js';
import { findPostgresBin, pgDescribe, startPostgres, type PgServer } from './pg-server.js';
import { postgresStore } from './use-postgres.js';

const secrets: Patient[] = [
  { name: 'Quentin Zyxwvut', diagnosis: 'Kxylophobia Qzx', age: 67, stay: 13, bill: 73917.46 },
  { name: 'Wilhelmina Pqjrst', diagnosis: 'Vmrtosis Jkq', age: 54, stay: 21, bill: 88361.29 },
];
const markers = (ps: readonly Patient[]) => ps.flatMap((p) => [p.name, p.diagnosis, String(p.bill)]);
const found = (text: string, m: string) => text.includes(m) || text.includes(Buffer.from(m, 'utf16le').toString('latin1'));

/** Every regular file under `dir`, as Latin-1 text. */
function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push([p, readFileSync(p).toString('latin1')]);
  }
  return out;
}

let pgServer: PgServer;
beforeAll(async () => {
  if (findPostgresBin()) pgServer = await startPostgres();
}, 120_000);
afterAll(async () => {
  useStore(undefined);
  await pgServer?.stop();
});

pgDescribe(describe)('zero trust on PostgreSQL', () => {
  test('no plaintext marker in the tables, the job queue, the database files, the logs or the responses', async () => {
    const logs: string[] = [];
    const stream = new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString('utf8')); done(); } });
    const owner = await makeOwner();
    const userSecrets = [owner.signer.toString(), owner.identity.toString()];
    useStore(postgresStore(pgServer.url, { cluster: 'zt', instance: 'A', work: false }));
    const a = await startServer(':memory:', { logger: { level: 'trace', stream }, user: owner.signer });
    useStore(postgresStore(pgServer.url, { cluster: 'zt', instance: 'B' }));
    const b = await startServer(':memory:', { logger: { level: 'trace', stream }, user: owner.signer });
    useStore(undefined);
    try {
      const created = await a.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'study', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
      const id = created.json<{ id: string }>().id;
      const up = (bytes: Uint8Array) => a.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: bytes });
      expect((await up(await owner.seal([...secrets, ...makePatients(20, 3)]))).statusCode).toBe(201);
      expect((await up(await owner.seal(secrets.map((p) => ({ ...p, name: `${p.name} II` }))))).statusCode).toBe(201);
      expect((await up(await owner.seal(secrets, generateSigningKey()))).statusCode).toBe(403);
      for (const [op, path] of [['sum', 'bill'], ['mean', 'age'], ['count', 'stay'], ['sum', 'stay']]) {
        expect((await b.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op, path } })).statusCode).toBe(200);
        // Through A too: a job B works, its output (the encrypted result) in pg-boss's table.
        expect((await a.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op, path } })).statusCode).toBe(200);
      }
      await b.app.inject({ url: `/api/datasets/${id}/envelopes` });
      await b.app.inject({ url: `/api/audit?dataset=${id}` });
    } finally {
      await a.close();
      await b.close();
      owner.keys.dispose();
    }
    // Everything on disk: a checkpoint first, so the tables' pages are in the data files, not only the WAL.
    const c = new pg.Client({ connectionString: pgServer.url });
    await c.connect();
    await c.query('CHECKPOINT');
    const jobRows = (await c.query<{ n: string }>("SELECT count(*) AS n FROM nqc_jobs.job WHERE name = 'aggregate-zt'")).rows[0]!.n;
    await c.end();
    const store = await pgServer.dump('nqc_zt');
    const jobs = await pgServer.dump('nqc_jobs');
    // The dumps can fail: they hold what the server did keep (the dataset name, audit actions, job outputs).
    expect(store).toContain('study');
    expect(store).toContain('envelope.store');
    expect(store).toMatch(/-- envelopes: 2 rows/);
    expect(Number(jobRows)).toBeGreaterThanOrEqual(4);
    expect(jobs).toContain('"kind":"sum"');
    const disk = filesUnder(join(pgServer.dir, 'data'));
    expect(disk.some(([, text]) => text.includes('envelope.store'))).toBe(true);
    const haystacks: [string, string][] = [['store tables', store], ['job tables', jobs], ...disk, ['server log', readFileSync(join(pgServer.dir, 'server.log'), 'latin1')], ['logs', logs.join('')], ['responses', [...a.responses, ...b.responses].join('\n')]];
    expect(logs.length).toBeGreaterThan(10);
    for (const [where, text] of haystacks) {
      for (const m of [...markers(secrets), ...userSecrets]) {
        expect({ where, marker: m.slice(0, 24), found: found(text, m) }).toEqual({ where, marker: m.slice(0, 24), found: false });
      }
    }
    expect(markers(secrets).every((m) => found(JSON.stringify(secrets), m))).toBe(true);
  }, 300_000);
});
