// Test servers on PostgreSQL: each cluster (one store schema + one aggregate queue) is fresh, so
// tests stay independent on one database; servers given the same cluster name share both.
import { PgBossJobs, type PgBossJobsOptions } from '../../src/jobs/index.js';
import { PostgresStore } from '../../src/postgres/store.js';
import type { TestStore } from '../stores.js';

let fresh = 0;

/** Options of {@link postgresStore}. */
export interface ClusterOptions extends Partial<Omit<PgBossJobsOptions, 'connectionString' | 'queue' | 'schema'>> {
  /** Servers with the same cluster name share the store schema and the queue. Default: a fresh one. */
  cluster?: string;
  /** Aggregate through pg-boss jobs. Default true. */
  jobs?: boolean;
  /** The job queue, if not the cluster's. */
  queue?: string;
}

/** A `useStore` factory: PostgresStore (and PgBossJobs) on `url`. */
export function postgresStore(url: string, opts: ClusterOptions = {}): () => Promise<TestStore> {
  return async () => {
    const { cluster = `t${process.pid}_${fresh++}`, jobs: withJobs = true, queue = `aggregate-${cluster}`, ...jobOpts } = opts;
    const store = await PostgresStore.open({ connectionString: url, schema: `nqc_${cluster}`, maxConnections: 4 });
    const jobs = withJobs ? await PgBossJobs.start({ connectionString: url, queue, workerPollSeconds: 0.5, ...jobOpts }) : undefined;
    return {
      store,
      jobs,
      async close() {
        await jobs?.close();
        await store.close();
      },
    };
  };
}
