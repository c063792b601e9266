// A throw-away PostgreSQL server for the tests: Debian's `postgresql` binaries, `initdb` into a
// temp dir, `pg_ctl start` listening only on a unix socket in that dir (no TCP), stopped and
// deleted at the end. As root, initdb refuses to run: then every server command runs as the
// `postgres` user (runuser), which owns the temp dir. Without binaries: the tests fail under
// CI=true and are skipped locally (with the reason printed).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where initdb and pg_ctl are: `NQC_PG_BIN`, else the newest /usr/lib/postgresql/<ver>/bin. */
export function findPostgresBin(): string | undefined {
  const given = process.env['NQC_PG_BIN'];
  if (given) return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/** Why PostgreSQL tests cannot run here, or `undefined` when they can. Under CI=true, callers fail. */
export function postgresMissing(): string | undefined {
  return findPostgresBin() === undefined ? 'no PostgreSQL binaries (apt-get install -y postgresql, or set NQC_PG_BIN to the directory of initdb and pg_ctl)' : undefined;
}

/** `describe` when PostgreSQL can run; locally without it, `describe.skip` with the reason printed; under CI=true, a failure. */
export function pgDescribe<D extends { skip: unknown }>(describe: D): D {
  const missing = postgresMissing();
  if (missing === undefined) return describe;
  if (process.env['CI'] === 'true') throw new Error(`PostgreSQL tests cannot run under CI=true: ${missing}`);
  console.log(`skipping the PostgreSQL tests: ${missing}`);
  return describe.skip as D;
}

/** A running throw-away server. */
export interface PgServer {
  /** A connection string to its `nqc` database over the unix socket. */
  readonly url: string;
  /** The socket directory (also holds the data directory). */
  readonly dir: string;
  /** A connection string to another database on the same server (created if missing). */
  database(name: string): Promise<string>;
  /** Every row of every table in a schema, as text (for the zero-trust dump). */
  dump(schema: string): Promise<string>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(bin: string, args: string[]): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a server (about 5 s: initdb). @throws when the binaries are missing or it does not start */
export async function startPostgres(): Promise<PgServer> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(`cannot start PostgreSQL: ${postgresMissing()}`);
  const dir = mkdtempSync(join(tmpdir(), 'nqc-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  try {
    run(join(bin, 'initdb'), ['-D', data, '-U', 'nqc', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    // Unix socket only (listen_addresses=''), fsync off: a test server, deleted afterwards.
    const opts = `-k ${dir} -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: string; message: string };
    throw new Error(`cannot start PostgreSQL in ${dir}: ${err.stderr ?? err.message}`, { cause: e });
  }
  const urlOf = (db: string) => `postgresql://nqc@/${db}?host=${encodeURIComponent(dir)}`;
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE nqc');
  await admin.end();
  return {
    url: urlOf('nqc'),
    dir,
    async database(name) {
      const c = new pg.Client({ connectionString: urlOf('postgres') });
      await c.connect();
      try {
        if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return urlOf(name);
    },
    async dump(schema) {
      const c = new pg.Client({ connectionString: urlOf('nqc') });
      await c.connect();
      try {
        const tables = (await c.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])).rows;
        const parts: string[] = [];
        for (const { table_name: t } of tables) {
          // Every column as text (bytea as hex) and as raw bytes decoded as Latin-1.
          const rows = (await c.query(`SELECT * FROM ${schema}."${t}"`)).rows as Record<string, unknown>[];
          for (const r of rows) {
            for (const v of Object.values(r)) parts.push(Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'object' && v !== null && !(v instanceof Date) ? JSON.stringify(v) : String(v));
          }
          parts.push(`-- ${t}: ${rows.length} rows`);
        }
        return parts.join('\n');
      } finally {
        await c.end();
      }
    },
    async stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
