/**
 * The store for scale: PostgreSQL (`pg`), so that several server instances share one database.
 * Envelope bytes are `bytea`, read in bounded slices; the audit log's sequence is monotonic in
 * commit order (appends are serialised by an advisory lock), so `since` polling never skips one.
 * @module
 */
import pg from 'pg';
import { duplicate, migrateRow, type AuditEntry, type DatasetRow, type DatasetSummary, type EnvelopeMeta, type Store } from '../store.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** `postgres://user@host:port/db` or `postgresql://user@/db?host=/socket/dir`. */
  readonly connectionString: string;
  /** PostgreSQL schema of the tables (created if missing). Default `nqc_cloud`. */
  readonly schema?: string;
  /** Most pooled connections. Default 10. */
  readonly maxConnections?: number;
}

/** Largest slice of an envelope fetched in one query (bytea travels as hex text: twice this). */
export const READ_SLICE = 4 * 1024 * 1024;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
// One advisory lock key per purpose (any two int4s; these spell "nqc" and a purpose number).
const LOCK_SCHEMA = 0x6e7163_01;
const LOCK_AUDIT = 0x6e7163_02;

const schemaSql = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.datasets (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, writers JSONB NOT NULL, bundle BYTEA NOT NULL,
  he_key_id TEXT NOT NULL, created_at TEXT NOT NULL, owner TEXT NOT NULL, readers JSONB NOT NULL, seq BIGSERIAL NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.envelopes (
  seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES ${s}.datasets(id),
  size INTEGER NOT NULL, sha256 TEXT NOT NULL, signer TEXT NOT NULL, fields JSONB NOT NULL,
  records INTEGER NOT NULL, created_at TEXT NOT NULL, bytes BYTEA NOT NULL, signed TEXT);
ALTER TABLE ${s}.envelopes ADD COLUMN IF NOT EXISTS signed TEXT;
CREATE INDEX IF NOT EXISTS envelopes_by_dataset ON ${s}.envelopes(dataset_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_once ON ${s}.envelopes(dataset_id, sha256);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_signed_once ON ${s}.envelopes(dataset_id, signed);
CREATE TABLE IF NOT EXISTS ${s}.audit (
  seq BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, dataset_id TEXT, detail JSONB NOT NULL);
`;

interface DatasetSql { id: string; name: string; writers: string[]; bundle: Buffer; he_key_id: string; created_at: string; owner: string; readers: string[] }
interface EnvelopeSql { id: string; dataset_id: string; size: number; sha256: string; signer: string; fields: string[]; records: number; created_at: string; signed: string | null }
type SummarySql = Omit<DatasetSql, 'bundle'> & { bundle_bytes: number };
interface AuditSql { seq: string; at: string; action: string; dataset_id: string | null; detail: Record<string, unknown> }

// The public columns of a dataset row, shared by the full row and the summary (no bundle bytes).
const members = (r: Omit<DatasetSql, 'bundle'>): Omit<DatasetRow, 'bundle'> => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  readers: r.readers,
  writers: r.writers,
  heKeyId: r.he_key_id,
  createdAt: r.created_at,
});
const dataset = (r: DatasetSql): DatasetRow => ({ ...members(r), bundle: new Uint8Array(r.bundle) });
const summary = (r: SummarySql): DatasetSummary => ({ ...members(r), bundleBytes: r.bundle_bytes });
// octet_length of a bytea reads its (TOAST) size, not the value.
const SUMMARY = 'id, name, writers, he_key_id, created_at, owner, readers, octet_length(bundle)::int AS bundle_bytes';
const envelope = (r: EnvelopeSql): EnvelopeMeta => ({
  id: r.id,
  datasetId: r.dataset_id,
  size: r.size,
  sha256: r.sha256,
  signer: r.signer,
  fields: r.fields,
  records: r.records,
  createdAt: r.created_at,
  signed: r.signed,
});
const audit = (r: AuditSql): AuditEntry => ({ seq: Number(r.seq), at: r.at, action: r.action, datasetId: r.dataset_id, detail: r.detail });
const META = 'id, dataset_id, size, sha256, signer, fields, records, created_at, signed';

/**
 * {@link Store} on PostgreSQL. Create it with {@link PostgresStore.open}, which creates the schema
 * and tables if missing (safe when several instances start at once).
 *
 * Tables made before replay keys are migrated by `open`, under the schema lock: the `signed` column
 * and its unique index are added, every old row is stored in binary form with its replay key, and a
 * later copy of an envelope already stored (same signed transcript) is removed with an
 * `envelope.remove` audit entry. Upgrade every instance sharing the database together: an old
 * instance still running stores rows without a replay key.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #s: string;
  /** The PostgreSQL schema holding the tables. */
  readonly schema: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#s = schema;
  }

  /**
   * Connects and creates the schema if missing.
   * @param opts - connection string, schema name, pool size
   * @throws Error `pg`'s connection error (refused, authentication), with its code
   */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = opts.schema ?? 'nqc_cloud';
    if (!IDENT.test(schema)) throw new TypeError(`"schema" expected a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
    const pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.maxConnections ?? 10 });
    // An idle client's error (the server restarted) must not crash the process; the next query fails.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, schema);
    try {
      await store.#tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_SCHEMA]);
        await c.query(schemaSql(schema));
        await store.#migrate(c);
      });
    } catch (e) {
      await pool.end();
      throw e;
    }
    return store;
  }

  /** Gives old rows (`signed IS NULL`) their binary form and replay key; removes replayed copies. */
  async #migrate(c: pg.PoolClient): Promise<void> {
    const s = this.#s;
    const ids = (await c.query<{ id: string }>(`SELECT id FROM ${s}.envelopes WHERE signed IS NULL ORDER BY seq`)).rows;
    for (const { id } of ids) {
      const { rows } = await c.query<{ dataset_id: string; bytes: Buffer }>(`SELECT dataset_id, bytes FROM ${s}.envelopes WHERE id = $1`, [id]);
      const row = rows[0];
      if (!row) continue;
      const m = await migrateRow(new Uint8Array(row.bytes));
      if (!m) continue; // does not verify: left as it was, without a replay key
      const first = (await c.query<{ id: string }>(`SELECT id FROM ${s}.envelopes WHERE dataset_id = $1 AND (signed = $2 OR sha256 = $3) AND id <> $4 LIMIT 1`, [row.dataset_id, m.signed, m.sha256, id])).rows[0];
      if (first) {
        await c.query(`DELETE FROM ${s}.envelopes WHERE id = $1`, [id]);
        const detail = { envelope: id, reason: 'a replayed copy of an envelope already stored (same signed transcript), found when migrating to replay keys', of: first.id };
        await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_AUDIT]);
        await c.query(`INSERT INTO ${s}.audit (at, action, dataset_id, detail) VALUES ($1, $2, $3, $4)`, [new Date().toISOString(), 'envelope.remove', row.dataset_id, JSON.stringify(detail)]);
        continue;
      }
      await c.query(`UPDATE ${s}.envelopes SET bytes = $1, size = $2, sha256 = $3, signed = $4 WHERE id = $5`, [Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.bytes.byteLength, m.sha256, m.signed, id]);
    }
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async createDataset(row: DatasetRow): Promise<void> {
    await this.#pool.query(`INSERT INTO ${this.#s}.datasets (id, name, writers, bundle, he_key_id, created_at, owner, readers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      row.id,
      row.name,
      JSON.stringify(row.writers),
      Buffer.from(row.bundle),
      row.heKeyId,
      row.createdAt,
      row.owner,
      JSON.stringify(row.readers),
    ]);
  }

  async getDataset(id: string): Promise<DatasetRow | undefined> {
    const { rows } = await this.#pool.query<DatasetSql>(`SELECT * FROM ${this.#s}.datasets WHERE id = $1`, [id]);
    return rows[0] && dataset(rows[0]);
  }

  async listDatasets(): Promise<DatasetRow[]> {
    return (await this.#pool.query<DatasetSql>(`SELECT * FROM ${this.#s}.datasets ORDER BY seq`)).rows.map(dataset);
  }

  async listDatasetsOf(user: string): Promise<DatasetSummary[]> {
    const sql = `SELECT ${SUMMARY} FROM ${this.#s}.datasets WHERE owner = $1 OR writers ? $1 OR readers ? $1 ORDER BY seq`;
    return (await this.#pool.query<SummarySql>(sql, [user])).rows.map(summary);
  }

  async countDatasetsOwnedBy(owner: string): Promise<number> {
    return (await this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.#s}.datasets WHERE owner = $1`, [owner])).rows[0]!.n;
  }

  async putEnvelope(m: EnvelopeMeta, bytes: Uint8Array): Promise<void> {
    try {
      await this.#pool.query(`INSERT INTO ${this.#s}.envelopes (id, dataset_id, size, sha256, signer, fields, records, created_at, bytes, signed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        m.id,
        m.datasetId,
        m.size,
        m.sha256,
        m.signer,
        JSON.stringify(m.fields),
        m.records,
        m.createdAt,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        m.signed ?? null,
      ]);
    } catch (e) {
      // unique_violation on (dataset_id, signed) or (dataset_id, sha256): the same signed envelope again, from any instance.
      const { code, constraint } = e as { code?: string; constraint?: string };
      if (code === '23505' && (constraint === 'envelopes_signed_once' || constraint === 'envelopes_once')) throw duplicate();
      throw e;
    }
  }

  async hasSigned(datasetId: string, signed: string): Promise<boolean> {
    return (await this.#pool.query(`SELECT 1 FROM ${this.#s}.envelopes WHERE dataset_id = $1 AND signed = $2`, [datasetId, signed])).rowCount !== 0;
  }

  async listEnvelopes(datasetId: string): Promise<EnvelopeMeta[]> {
    return (await this.#pool.query<EnvelopeSql>(`SELECT ${META} FROM ${this.#s}.envelopes WHERE dataset_id = $1 ORDER BY seq`, [datasetId])).rows.map(envelope);
  }

  async getEnvelope(id: string): Promise<Uint8Array | undefined> {
    const head = await this.#pool.query<{ size: number }>(`SELECT octet_length(bytes) AS size FROM ${this.#s}.envelopes WHERE id = $1`, [id]);
    if (head.rows.length === 0) return undefined;
    const size = head.rows[0]!.size;
    const out = new Uint8Array(size);
    // Bounded slices: one query never carries more than READ_SLICE bytes (2x as hex text).
    for (let at = 0; at < size; at += READ_SLICE) {
      const { rows } = await this.#pool.query<{ part: Buffer }>(`SELECT substring(bytes FROM $2 FOR $3) AS part FROM ${this.#s}.envelopes WHERE id = $1`, [id, at + 1, READ_SLICE]);
      const part = rows[0]?.part;
      if (!part) return undefined;
      out.set(part, at);
    }
    return out;
  }

  async envelopePrefix(id: string, n: number): Promise<Uint8Array> {
    const { rows } = await this.#pool.query<{ head: Buffer }>(`SELECT substring(bytes FROM 1 FOR $2) AS head FROM ${this.#s}.envelopes WHERE id = $1`, [id, n]);
    return rows[0] ? new Uint8Array(rows[0].head) : new Uint8Array();
  }

  async *envelopes(datasetId: string): AsyncIterable<Uint8Array> {
    const ids = (await this.#pool.query<{ id: string }>(`SELECT id FROM ${this.#s}.envelopes WHERE dataset_id = $1 ORDER BY seq`, [datasetId])).rows;
    for (const { id } of ids) {
      const b = await this.getEnvelope(id);
      if (b) yield b;
    }
  }

  async audit(action: string, datasetId: string | null, detail: Record<string, unknown>): Promise<AuditEntry> {
    const at = new Date().toISOString();
    // The lock makes sequence order = commit order across instances: a reader's `since` never skips.
    const row = await this.#tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_AUDIT]);
      const { rows } = await c.query<AuditSql>(`INSERT INTO ${this.#s}.audit (at, action, dataset_id, detail) VALUES ($1, $2, $3, $4) RETURNING *`, [at, action, datasetId, JSON.stringify(detail)]);
      return rows[0]!;
    });
    return audit(row);
  }

  async listAudit(opts: { datasetId?: string | undefined; since?: number | undefined; limit: number }): Promise<AuditEntry[]> {
    const since = opts.since ?? 0;
    const { rows } =
      opts.datasetId === undefined
        ? await this.#pool.query<AuditSql>(`SELECT * FROM ${this.#s}.audit WHERE seq > $1 ORDER BY seq LIMIT $2`, [since, opts.limit])
        : await this.#pool.query<AuditSql>(`SELECT * FROM ${this.#s}.audit WHERE seq > $1 AND dataset_id = $2 ORDER BY seq LIMIT $3`, [since, opts.datasetId, opts.limit]);
    return rows.map(audit);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
