/**
 * A replay register in PostgreSQL, shared by every server instance on the database, so a request
 * one instance answered is refused by all (the in-process register only covers its own process).
 * One row per request encapsulation (the first 16 bytes of its SHA-256) until it expires; a row is
 * taken over only once expired, in one statement, so two instances racing on the same replay cannot
 * both accept it. Loaded only in PostgreSQL mode.
 * @module
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { NqcChannelError, type ReplayRegister } from '@nqc/channel';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options of {@link PostgresReplayRegister.open}. */
export interface PostgresReplayOptions {
  /** `postgres://...` */
  readonly connectionString: string;
  /** Schema of the `channel_strikes` table (created if missing). Default `nqc_cloud`. */
  readonly schema?: string;
  /** Delete expired rows every this many strikes (default 1000). */
  readonly pruneEvery?: number;
}

/** {@link ReplayRegister} on a PostgreSQL table; `close()` releases its connections. */
export class PostgresReplayRegister implements ReplayRegister {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #pruneEvery: number;
  #strikes = 0;

  private constructor(pool: pg.Pool, table: string, pruneEvery: number) {
    this.#pool = pool;
    this.#table = table;
    this.#pruneEvery = pruneEvery;
  }

  /**
   * Connects and creates the table if missing.
   * @throws {TypeError} for a schema that is not a lower-case SQL identifier
   */
  static async open(opts: PostgresReplayOptions): Promise<PostgresReplayRegister> {
    const schema = opts.schema ?? 'nqc_cloud';
    if (!IDENT.test(schema)) throw new TypeError(`"schema" expected a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
    const pool = new pg.Pool({ connectionString: opts.connectionString, max: 2 });
    pool.on('error', () => undefined); // an idle connection dropped: the next query reconnects
    const table = `${schema}.channel_strikes`;
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id BYTEA PRIMARY KEY, expires_at BIGINT NOT NULL)`);
    } catch (e) {
      await pool.end();
      throw e;
    }
    return new PostgresReplayRegister(pool, table, opts.pruneEvery ?? 1000);
  }

  /**
   * Records `enc` until `expiresAt` (ms since the epoch).
   * @throws {NqcChannelError} ERR_CHANNEL_REPLAY when it is recorded and not expired; a database error as it comes (the gateway refuses the request)
   */
  async strike(enc: Uint8Array, expiresAt: number, now: number): Promise<void> {
    const id = createHash('sha256').update(enc).digest().subarray(0, 16);
    const res = await this.#pool.query(
      `INSERT INTO ${this.#table} AS s (id, expires_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE s.expires_at <= $3
       RETURNING 1`,
      [id, Math.ceil(expiresAt), Math.floor(now)],
    );
    if (res.rowCount === 0) throw new NqcChannelError('ERR_CHANNEL_REPLAY', 'request was seen before');
    if (++this.#strikes % this.#pruneEvery === 0) await this.#pool.query(`DELETE FROM ${this.#table} WHERE expires_at <= $1`, [Math.floor(now)]);
  }

  /** Releases the connections. */
  async close(): Promise<void> {
    await this.#pool.end();
  }
}
