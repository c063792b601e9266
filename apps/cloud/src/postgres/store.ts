/**
 * The store for scale: PostgreSQL (`pg`), so that several server instances share one database.
 * Envelope bytes are `bytea`, read in bounded slices; the audit log's sequence is monotonic in
 * commit order (appends are serialised by an advisory lock), so `since` polling never skips one.
 * @module
 */
import pg from 'pg';
import { duplicate, type AuditEntry, type DatasetRow, type EnvelopeMeta, type Store } from '../store.js';

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
  records INTEGER NOT NULL, created_at TEXT NOT NULL, bytes BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS envelopes_by_dataset ON ${s}.envelopes(dataset_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_once ON ${s}.envelopes(dataset_id, sha256);
CREATE TABLE IF NOT EXISTS ${s}.audit (
  seq BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, dataset_id TEXT, detail JSONB NOT NULL);
`;

interface DatasetSql { id: string; name: string; writers: string[]; bundle: Buffer; he_key_id: string; created_at: string; owner: string; readers: string[] }
interface EnvelopeSql { id: string; dataset_id: string; size: number; sha256: string; signer: string; fields: string[]; records: number; created_at: string }
interface AuditSql { seq: string; at: string; action: string; dataset_id: string | null; detail: Record<string, unknown> }

const dataset = (r: DatasetSql): DatasetRow => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  readers: r.readers,
  writers: r.writers,
  bundle: new Uint8Array(r.bundle),
  heKeyId: r.he_key_id,
  createdAt: r.created_at,
});
const envelope = (r: EnvelopeSql): EnvelopeMeta => ({
  id: r.id,
  datasetId: r.dataset_id,
  size: r.size,
  sha256: r.sha256,
  signer: r.signer,
  fields: r.fields,
  records: r.records,
  createdAt: r.created_at,
});
const audit = (r: AuditSql): AuditEntry => ({ seq: Number(r.seq), at: r.at, action: r.action, datasetId: r.dataset_id, detail: r.detail });
const META = 'id, dataset_id, size, sha256, signer, fields, records, created_at';

/**
 * {@link Store} on PostgreSQL. Create it with {@link PostgresStore.open}, which creates the schema
 * and tables if missing (safe when several instances start at once).
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
      });
    } catch (e) {
      await pool.end();
      throw e;
    }
    return store;
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

  async putEnvelope(m: EnvelopeMeta, bytes: Uint8Array): Promise<void> {
    try {
      await this.#pool.query(`INSERT INTO ${this.#s}.envelopes (id, dataset_id, size, sha256, signer, fields, records, created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        m.id,
        m.datasetId,
        m.size,
        m.sha256,
        m.signer,
        JSON.stringify(m.fields),
        m.records,
        m.createdAt,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      ]);
    } catch (e) {
      // unique_violation on (dataset_id, sha256): the same bytes again, from any instance.
      if ((e as { code?: string; constraint?: string }).code === '23505' && (e as { constraint?: string }).constraint === 'envelopes_once') throw duplicate();
      throw e;
    }
  }

  async hasEnvelope(datasetId: string, sha256: string): Promise<boolean> {
    return (await this.#pool.query(`SELECT 1 FROM ${this.#s}.envelopes WHERE dataset_id = $1 AND sha256 = $2`, [datasetId, sha256])).rowCount !== 0;
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
