// Replay keys (R1): envelopes are stored in binary form, once per signed transcript, and a data
// directory (or PostgreSQL schema) made before replay keys is migrated on open: old rows get their
// binary form and replay key, replayed copies the old byte-level check let in are removed (audited).
// Also the store's dataset listing by membership, without bundles (R7), on both stores.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateIdentity, generateSigningKey, inspect, updateRecipients } from '@nqc/core/node';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sha256Hex } from '../src/codec.js';
import { makePatients } from '../src/patients.js';
import { PostgresStore } from '../src/postgres/store.js';
import { SqliteStore } from '../src/sqlite-store.js';
import { signedDigest, type Store } from '../src/store.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';
import { pgDescribe, startPostgres, type PgServer } from './postgres/pg-server.js';

let owner: Owner;
let env: Uint8Array;
let rewrapped: Uint8Array;
let other: Uint8Array;
let heKeyId: string;
const dirs: string[] = [];

/** PEM-style armor as @nqc/container writes it, with CRLF line ends. */
const armorCrlf = (bytes: Uint8Array): Uint8Array => {
  const b = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 64) lines.push(b.slice(i, i + 64));
  return new TextEncoder().encode(`-----BEGIN NQC ENVELOPE-----\r\n${lines.join('\r\n')}\r\n-----END NQC ENVELOPE-----\r\n`);
};

// The tables as the previous version created them (no `signed` column).
const OLD_SQLITE = `
CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, writers TEXT NOT NULL, bundle BLOB NOT NULL,
  he_key_id TEXT NOT NULL, created_at TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', readers TEXT NOT NULL DEFAULT '[]');
CREATE TABLE envelopes (id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES datasets(id), size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, signer TEXT NOT NULL, fields TEXT NOT NULL, records INTEGER NOT NULL, created_at TEXT NOT NULL, bytes BLOB NOT NULL);
CREATE UNIQUE INDEX envelopes_once ON envelopes(dataset_id, sha256);
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL, dataset_id TEXT, detail TEXT NOT NULL);
`;
const OLD_PG = (s: string) => `
CREATE SCHEMA ${s};
CREATE TABLE ${s}.datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, writers JSONB NOT NULL, bundle BYTEA NOT NULL,
  he_key_id TEXT NOT NULL, created_at TEXT NOT NULL, owner TEXT NOT NULL, readers JSONB NOT NULL, seq BIGSERIAL NOT NULL);
CREATE TABLE ${s}.envelopes (seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES ${s}.datasets(id),
  size INTEGER NOT NULL, sha256 TEXT NOT NULL, signer TEXT NOT NULL, fields JSONB NOT NULL, records INTEGER NOT NULL, created_at TEXT NOT NULL, bytes BYTEA NOT NULL);
CREATE UNIQUE INDEX envelopes_once ON ${s}.envelopes(dataset_id, sha256);
CREATE TABLE ${s}.audit (seq BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, dataset_id TEXT, detail JSONB NOT NULL);
`;

/** Old rows: the envelope, its armored form and its re-wrapped form (two replays), and another envelope. */
const oldRows = () => [
  { id: 'e1', bytes: env },
  { id: 'e2', bytes: armorCrlf(env) },
  { id: 'e3', bytes: rewrapped },
  { id: 'e4', bytes: other },
];

beforeAll(async () => {
  owner = await makeOwner();
  env = await owner.seal(makePatients(3, 7070));
  rewrapped = await updateRecipients(env, { identities: [owner.identity], recipients: [owner.identity.recipient(), generateIdentity().recipient()] });
  other = await owner.seal(makePatients(2, 7171));
  heKeyId = (await inspect(env)).he!.fields[0]!.keyId;
}, 240_000);

afterAll(() => {
  owner?.keys.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What a migrated store must hold: e1 and e4 in binary form with their replay keys; e2, e3 removed and audited. */
async function expectMigrated(store: Store): Promise<void> {
  const list = await store.listEnvelopes('d1');
  expect(list.map((m) => m.id)).toEqual(['e1', 'e4']);
  expect(list.map((m) => m.signed)).toEqual([await signedDigest(env), await signedDigest(other)]);
  expect(list.map((m) => m.sha256)).toEqual([sha256Hex(env), sha256Hex(other)]);
  expect(Buffer.from((await store.getEnvelope('e1'))!).equals(Buffer.from(env))).toBe(true);
  const removed = (await store.listAudit({ datasetId: 'd1', limit: 100 })).filter((a) => a.action === 'envelope.remove');
  expect(removed.map((a) => [a.detail.envelope, a.detail.of])).toEqual([
    ['e2', 'e1'],
    ['e3', 'e1'],
  ]);
  expect(await store.hasSigned('d1', (await signedDigest(env)))).toBe(true);
}

describe('SQLite: a data directory made before replay keys', () => {
  it('is migrated on open: binary form, replay keys, replayed copies removed and audited; a new replay is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-replay-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'nqc-cloud.sqlite'));
    db.exec(OLD_SQLITE);
    const w = owner.signer.verifyingKey().toString();
    db.prepare('INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('d1', 'old', JSON.stringify([w]), Buffer.from(owner.bundle), heKeyId, new Date().toISOString(), w, '[]');
    for (const r of oldRows()) {
      db.prepare('INSERT INTO envelopes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(r.id, 'd1', r.bytes.length, sha256Hex(r.bytes), w, '["age"]', 3, new Date().toISOString(), Buffer.from(r.bytes));
    }
    db.close();
    const store = new SqliteStore(dir);
    try {
      await expectMigrated(store);
    } finally {
      await store.close();
    }
    // Reopened (already migrated): unchanged; then the server refuses the armored form again.
    const server = await startServer(dir, { user: owner.signer });
    try {
      await expectMigrated(server.store);
      const res = await server.app.inject({ method: 'POST', url: '/api/datasets/d1/envelopes', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(armorCrlf(env)) });
      expect(res.json<{ error: { code: string } }>().error.code).toBe('ERR_CLOUD_DUPLICATE');
      expect((await server.store.listEnvelopes('d1')).length).toBe(2);
    } finally {
      await server.close();
    }
  }, 240_000);
});

/** Datasets with three users in different roles; the store must list each user's own, without bundles. */
async function expectListing(store: Store): Promise<void> {
  const [o, w, r, stranger] = [0, 1, 2, 3].map(() => generateSigningKey().verifyingKey().toString()) as [string, string, string, string];
  const row = (id: string, writers: string[], readers: string[], bundle: Uint8Array) => ({ id, name: id, owner: o, writers, readers, bundle, heKeyId: 'k', createdAt: new Date().toISOString() });
  await store.createDataset(row('l1', [w], [], new Uint8Array(1234)));
  await store.createDataset(row('l2', [o], [r], new Uint8Array(56)));
  await store.createDataset({ ...row('l3', [stranger], [], new Uint8Array(7)), owner: stranger });
  const ids = async (u: string) => (await store.listDatasetsOf(u)).map((d) => d.id);
  expect(await ids(o)).toEqual(['l1', 'l2']);
  expect(await ids(w)).toEqual(['l1']);
  expect(await ids(r)).toEqual(['l2']);
  expect(await ids(stranger)).toEqual(['l3']);
  expect(await ids(generateSigningKey().verifyingKey().toString())).toEqual([]);
  const l1 = (await store.listDatasetsOf(w))[0]!;
  expect(l1).toMatchObject({ id: 'l1', owner: o, writers: [w], readers: [], bundleBytes: 1234, heKeyId: 'k' });
  expect('bundle' in l1).toBe(false);
  expect(await store.countDatasetsOwnedBy(o)).toBe(2);
  expect(await store.countDatasetsOwnedBy(r)).toBe(0);
}

describe('listDatasetsOf: membership in the store, no bundle', () => {
  it('SQLite: owner, writer, reader each see their own; sizes without bundles', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await expectListing(store);
    } finally {
      await store.close();
    }
  });
});

pgDescribe(describe)('PostgreSQL: tables made before replay keys, and listDatasetsOf', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('is migrated by open (two instances at once): binary form, replay keys, replayed copies removed and audited', async () => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      await c.query(OLD_PG('old'));
      const w = owner.signer.verifyingKey().toString();
      await c.query('INSERT INTO old.datasets (id, name, writers, bundle, he_key_id, created_at, owner, readers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', ['d1', 'old', JSON.stringify([w]), Buffer.from(owner.bundle), heKeyId, new Date().toISOString(), w, '[]']);
      for (const r of oldRows()) {
        await c.query('INSERT INTO old.envelopes (id, dataset_id, size, sha256, signer, fields, records, created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [r.id, 'd1', r.bytes.length, sha256Hex(r.bytes), w, '["age"]', 3, new Date().toISOString(), Buffer.from(r.bytes)]);
      }
    } finally {
      await c.end();
    }
    const [a, b] = await Promise.all([PostgresStore.open({ connectionString: server.url, schema: 'old' }), PostgresStore.open({ connectionString: server.url, schema: 'old' })]);
    try {
      await expectMigrated(a);
      await expectMigrated(b);
      const meta = { id: 'e5', datasetId: 'd1', size: env.length, sha256: 'not-the-same-bytes', signer: 'x', fields: ['age'], records: 3, createdAt: new Date().toISOString(), signed: await signedDigest(env) };
      await expect(b.putEnvelope(meta, env)).rejects.toMatchObject({ code: 'ERR_CLOUD_DUPLICATE' });
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);

  it('listDatasetsOf: owner, writer, reader each see their own; sizes without bundles', async () => {
    const store = await PostgresStore.open({ connectionString: server.url, schema: 'listing' });
    try {
      await expectListing(store);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('the upload route stores the binary form', () => {
  it('an armored upload is stored as the binary envelope (same SHA-256 and excerpt as the binary upload would have)', async () => {
    const server = await startServer(':memory:', { user: owner.signer });
    try {
      const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'bin', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
      const id = res.json<{ id: string }>().id;
      const up = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(armorCrlf(env)) });
      expect(up.statusCode).toBe(201);
      const m = up.json<{ id: string; size: number; sha256: string; signed: string }>();
      expect(m).toMatchObject({ size: env.length, sha256: sha256Hex(env), signed: await signedDigest(env) });
      expect(Buffer.from((await server.store.getEnvelope(m.id))!).equals(Buffer.from(env))).toBe(true);
      const again = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(rewrapped) });
      expect(again.statusCode).toBe(409);
    } finally {
      await server.close();
    }
  }, 240_000);
});
