/**
 * The embedded default store: one SQLite database (better-sqlite3) in the data directory.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { duplicate, migrateRow, type AuditEntry, type DatasetRow, type DatasetSummary, type EnvelopeMeta, type Store } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS datasets (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, writers TEXT NOT NULL, bundle BLOB NOT NULL,
  he_key_id TEXT NOT NULL, created_at TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', readers TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS envelopes (
  id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES datasets(id), size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, signer TEXT NOT NULL, fields TEXT NOT NULL, records INTEGER NOT NULL,
  created_at TEXT NOT NULL, bytes BLOB NOT NULL, signed TEXT);
CREATE INDEX IF NOT EXISTS envelopes_by_dataset ON envelopes(dataset_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_once ON envelopes(dataset_id, sha256);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL,
  dataset_id TEXT, detail TEXT NOT NULL);
`;

interface DatasetSql { id: string; name: string; writers: string; bundle: Buffer; he_key_id: string; created_at: string; owner: string; readers: string }
interface EnvelopeSql { id: string; dataset_id: string; size: number; sha256: string; signer: string; fields: string; records: number; created_at: string; signed: string | null }
type SummarySql = Omit<DatasetSql, 'bundle'> & { bundle_bytes: number };
interface AuditSql { seq: number; at: string; action: string; dataset_id: string | null; detail: string }

// The public columns of a dataset row, shared by the full row and the summary (no bundle bytes).
const members = (r: Omit<DatasetSql, 'bundle'>): Omit<DatasetRow, 'bundle'> => ({
  id: r.id,
  name: r.name,
  writers: JSON.parse(r.writers) as string[],
  owner: r.owner,
  readers: JSON.parse(r.readers) as string[],
  heKeyId: r.he_key_id,
  createdAt: r.created_at,
});
const dataset = (r: DatasetSql): DatasetRow => ({ ...members(r), bundle: new Uint8Array(r.bundle) });
const summary = (r: SummarySql): DatasetSummary => ({ ...members(r), bundleBytes: r.bundle_bytes });

// Membership in SQL (owner, or one of the JSON arrays), for listings that never load a bundle.
const MEMBER = 'owner = @user OR EXISTS (SELECT 1 FROM json_each(writers) WHERE value = @user) OR EXISTS (SELECT 1 FROM json_each(readers) WHERE value = @user)';
// length() of a BLOB reads its size from the record header, not the blob's pages.
const SUMMARY = 'id, name, writers, he_key_id, created_at, owner, readers, length(bundle) AS bundle_bytes';

const envelope = (r: EnvelopeSql): EnvelopeMeta => ({
  id: r.id,
  datasetId: r.dataset_id,
  size: r.size,
  sha256: r.sha256,
  signer: r.signer,
  fields: JSON.parse(r.fields) as string[],
  records: r.records,
  createdAt: r.created_at,
  signed: r.signed,
});

/**
 * {@link Store} on SQLite: `nqc-cloud.sqlite` in `dataDir` (WAL mode), or in memory for `':memory:'`.
 *
 * A database made before replay keys (no `envelopes.signed` column) is migrated when opened: the
 * column and its unique index are added, then (before any envelope method answers) every old row
 * is stored in binary form (armor decoded) with its replay key, and a later copy of an envelope
 * already stored (the same signed transcript: a replay the old byte-level check let in) is removed,
 * with an `envelope.remove` audit entry.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  /** The legacy-row migration; envelope methods wait for it. */
  readonly #ready: Promise<void>;
  /** The database file, or `':memory:'`. */
  readonly file: string;

  /** @param dataDir - a directory (created if missing), or `':memory:'` */
  constructor(dataDir: string) {
    if (dataDir === ':memory:') this.file = ':memory:';
    else {
      mkdirSync(dataDir, { recursive: true });
      this.file = join(dataDir, 'nqc-cloud.sqlite');
    }
    this.#db = new Database(this.file);
    if (this.file !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
    // Databases made before datasets had an owner: add the columns (such datasets have no owner: nobody reads them).
    const columns = new Set((this.#db.prepare('PRAGMA table_info(datasets)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('owner')) this.#db.exec("ALTER TABLE datasets ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
    if (!columns.has('readers')) this.#db.exec("ALTER TABLE datasets ADD COLUMN readers TEXT NOT NULL DEFAULT '[]'");
    // Databases made before replay keys: add the column (NULL in old rows, migrated below).
    const envColumns = new Set((this.#db.prepare('PRAGMA table_info(envelopes)').all() as { name: string }[]).map((c) => c.name));
    if (!envColumns.has('signed')) this.#db.exec('ALTER TABLE envelopes ADD COLUMN signed TEXT');
    this.#db.exec('CREATE UNIQUE INDEX IF NOT EXISTS envelopes_signed_once ON envelopes(dataset_id, signed)');
    this.#ready = this.#migrate();
    this.#ready.catch(() => undefined); // a failure is answered by the envelope methods, not as an unhandled rejection
  }

  /** Gives old rows (`signed IS NULL`) their binary form and replay key; removes replayed copies. */
  async #migrate(): Promise<void> {
    const ids = this.#db.prepare('SELECT id FROM envelopes WHERE signed IS NULL ORDER BY rowid').pluck().all() as string[];
    for (const id of ids) {
      const row = this.#db.prepare('SELECT dataset_id, bytes FROM envelopes WHERE id = ?').get(id) as { dataset_id: string; bytes: Buffer } | undefined;
      if (!row) continue;
      const m = await migrateRow(new Uint8Array(row.bytes));
      if (!m) continue; // does not verify: left as it was, without a replay key
      const first = this.#db.prepare('SELECT id FROM envelopes WHERE dataset_id = ? AND (signed = ? OR sha256 = ?) AND id <> ?').pluck().get(row.dataset_id, m.signed, m.sha256, id) as string | undefined;
      if (first !== undefined) {
        this.#db.prepare('DELETE FROM envelopes WHERE id = ?').run(id);
        await this.audit('envelope.remove', row.dataset_id, { envelope: id, reason: 'a replayed copy of an envelope already stored (same signed transcript), found when migrating to replay keys', of: first });
        continue;
      }
      this.#db.prepare('UPDATE envelopes SET bytes = ?, size = ?, sha256 = ?, signed = ? WHERE id = ?').run(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.bytes.byteLength, m.sha256, m.signed, id);
    }
  }

  async createDataset(row: DatasetRow): Promise<void> {
    this.#db
      .prepare('INSERT INTO datasets (id, name, writers, bundle, he_key_id, created_at, owner, readers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.name, JSON.stringify(row.writers), Buffer.from(row.bundle), row.heKeyId, row.createdAt, row.owner, JSON.stringify(row.readers));
  }

  async getDataset(id: string): Promise<DatasetRow | undefined> {
    const r = this.#db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetSql | undefined;
    return r && dataset(r);
  }

  async listDatasets(): Promise<DatasetRow[]> {
    return (this.#db.prepare('SELECT * FROM datasets ORDER BY created_at, id').all() as DatasetSql[]).map(dataset);
  }

  async listDatasetsOf(user: string): Promise<DatasetSummary[]> {
    return (this.#db.prepare(`SELECT ${SUMMARY} FROM datasets WHERE ${MEMBER} ORDER BY created_at, id`).all({ user }) as SummarySql[]).map(summary);
  }

  async countDatasetsOwnedBy(owner: string): Promise<number> {
    return this.#db.prepare('SELECT count(*) FROM datasets WHERE owner = ?').pluck().get(owner) as number;
  }

  async putEnvelope(m: EnvelopeMeta, bytes: Uint8Array): Promise<void> {
    await this.#ready;
    try {
      this.#db
        .prepare('INSERT INTO envelopes (id, dataset_id, size, sha256, signer, fields, records, created_at, bytes, signed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(m.id, m.datasetId, m.size, m.sha256, m.signer, JSON.stringify(m.fields), m.records, m.createdAt, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), m.signed ?? null);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw duplicate();
      throw e;
    }
  }

  async hasSigned(datasetId: string, signed: string): Promise<boolean> {
    await this.#ready;
    return this.#db.prepare('SELECT 1 FROM envelopes WHERE dataset_id = ? AND signed = ?').get(datasetId, signed) !== undefined;
  }

  async listEnvelopes(datasetId: string): Promise<EnvelopeMeta[]> {
    await this.#ready;
    const sql = 'SELECT id, dataset_id, size, sha256, signer, fields, records, created_at, signed FROM envelopes WHERE dataset_id = ? ORDER BY rowid';
    return (this.#db.prepare(sql).all(datasetId) as EnvelopeSql[]).map(envelope);
  }

  async getEnvelope(id: string): Promise<Uint8Array | undefined> {
    await this.#ready;
    return this.#bytes(id);
  }

  #bytes(id: string): Uint8Array | undefined {
    const r = this.#db.prepare('SELECT bytes FROM envelopes WHERE id = ?').get(id) as { bytes: Buffer } | undefined;
    return r && new Uint8Array(r.bytes);
  }

  async envelopePrefix(id: string, n: number): Promise<Uint8Array> {
    await this.#ready;
    const r = this.#db.prepare('SELECT substr(bytes, 1, ?) AS head FROM envelopes WHERE id = ?').get(n, id) as { head: Buffer } | undefined;
    return r ? new Uint8Array(r.head) : new Uint8Array();
  }

  async *envelopes(datasetId: string): AsyncIterable<Uint8Array> {
    await this.#ready;
    const ids = this.#db.prepare('SELECT id FROM envelopes WHERE dataset_id = ? ORDER BY rowid').pluck().all(datasetId) as string[];
    for (const id of ids) {
      const b = this.#bytes(id);
      if (b) yield b;
    }
  }

  async audit(action: string, datasetId: string | null, detail: Record<string, unknown>): Promise<AuditEntry> {
    const at = new Date().toISOString();
    const text = JSON.stringify(detail);
    const { lastInsertRowid } = this.#db.prepare('INSERT INTO audit (at, action, dataset_id, detail) VALUES (?, ?, ?, ?)').run(at, action, datasetId, text);
    return { seq: Number(lastInsertRowid), at, action, datasetId, detail: JSON.parse(text) as Record<string, unknown> };
  }

  async listAudit(opts: { datasetId?: string | undefined; since?: number | undefined; limit: number }): Promise<AuditEntry[]> {
    const since = opts.since ?? 0;
    const rows = (
      opts.datasetId === undefined
        ? this.#db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?').all(since, opts.limit)
        : this.#db.prepare('SELECT * FROM audit WHERE seq > ? AND dataset_id = ? ORDER BY seq LIMIT ?').all(since, opts.datasetId, opts.limit)
    ) as AuditSql[];
    return rows.map((r) => ({ seq: r.seq, at: r.at, action: r.action, datasetId: r.dataset_id, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => undefined);
    this.#db.close();
  }
}
