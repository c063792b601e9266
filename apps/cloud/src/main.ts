/**
 * `npm start`: the cloud server on the embedded SQLite store. Honours `PORT` (default 8787), `HOST`
 * (default 127.0.0.1) and `NQC_DATA_DIR` (default `./data`); the channel's server keys are kept in
 * `NQC_CHANNEL_KEYS` (default `<data dir>/channel-keys.txt`, created with mode 0600); stops cleanly on Ctrl-C.
 *
 * With `NQC_DATABASE_URL=postgres://...` the store is PostgreSQL instead (tables in the schema
 * `NQC_DATABASE_SCHEMA`, default `nqc_cloud`, created if missing) and sum/mean/count are pg-boss jobs
 * (schema `nqc_jobs`) worked by every instance on that database; `NQC_INSTANCE` names this instance
 * (default: random), `NQC_JOB_TIMEOUT_MS` bounds the wait for a job (default 300000). Instances that
 * serve the same clients share one `NQC_CHANNEL_KEYS` file (the key clients pin).
 *
 * Limits and timeouts are `buildServer`'s defaults (requests within 120 s, headers within 30 s, JSON
 * bodies up to 1 MiB); a connection silent for `max(600 s, NQC_JOB_TIMEOUT_MS + 60 s)` is closed.
 * @module
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecurityManager } from '@nqc/agents';
import { loadOrCreateChannelKeys } from './channel/index.js';
import { buildServer } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';
import type { PgBossJobs } from './jobs/index.js';

const port = Number(process.env['PORT'] ?? 8787);
const host = process.env['HOST'] ?? '127.0.0.1';
const dataDir = process.env['NQC_DATA_DIR'] ?? 'data';
if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
  console.error(`nqc-cloud: PORT must be 0..65535, got ${process.env['PORT']}`);
  process.exit(2);
}
const databaseUrl = process.env['NQC_DATABASE_URL'];
const timeoutMs = Number(process.env['NQC_JOB_TIMEOUT_MS'] ?? 300_000);
if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
  console.error(`nqc-cloud: NQC_JOB_TIMEOUT_MS must be a positive integer, got ${process.env['NQC_JOB_TIMEOUT_MS']}`);
  process.exit(2);
}
let store: Store;
let jobs: PgBossJobs | undefined;
let replay: import('./channel/pg-replay.js').PostgresReplayRegister | undefined;
let where: string;
if (databaseUrl) {
  // Loaded only here: the SQLite mode never loads pg.
  const { PostgresStore } = await import('./postgres/store.js');
  const { PgBossJobs: Jobs } = await import('./jobs/index.js');
  const schema = process.env['NQC_DATABASE_SCHEMA'] ?? 'nqc_cloud';
  const instance = process.env['NQC_INSTANCE'];
  store = await PostgresStore.open({ connectionString: databaseUrl, schema });
  jobs = await Jobs.start({ connectionString: databaseUrl, timeoutMs, ...(instance ? { instance } : {}), onError: (e) => console.error(`nqc cloud: job queue: ${e.message}`) });
  // One replay register for every instance on the database (the channel's default is per process).
  replay = await (await import('./channel/pg-replay.js')).PostgresReplayRegister.open({ connectionString: databaseUrl, schema });
  where = `PostgreSQL schema ${schema}, jobs worked by instance ${jobs.instance}`;
} else {
  const sqlite = new SqliteStore(dataDir);
  store = sqlite;
  where = sqlite.file;
}
// The manager's pools are not used yet (SEAL runs in a worker thread per dataset): it serves
// /metrics and /status and meters the cloud.check and cloud.aggregate operations.
const manager = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false } });
// The same server key across restarts, so clients that pinned it keep working.
const keys = await loadOrCreateChannelKeys(process.env['NQC_CHANNEL_KEYS'] ?? join(dataDir, 'channel-keys.txt'));
// A connection may sit silent while its aggregate waits for a job: keep the inactivity limit above that wait.
const connectionTimeoutMs = Math.max(600_000, timeoutMs + 60_000);
const app = await buildServer({ store, jobs, manager, channel: { keys, replay }, connectionTimeoutMs, logger: { level: process.env['LOG_LEVEL'] ?? 'info' }, pageDir: fileURLToPath(new URL('./page', import.meta.url)) });
const stop = async () => {
  await app.close();
  await manager.close();
  await jobs?.close();
  await replay?.close();
  await store.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
const address = await app.listen({ port, host });
console.log(`nqc cloud: ${address.replace('[::1]', 'localhost')} (data in ${where}; Ctrl-C to stop)`);
console.log(`nqc cloud: channel server key ${app.channelServerKey}`);
