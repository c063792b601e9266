// Which store (and aggregate job queue) the test servers use: SQLite by default; the PostgreSQL
// tests (test/postgres/) switch it with useStore before they start servers.
import type { AggregateJobs } from '../src/jobs/index.js';
import { SqliteStore } from '../src/sqlite-store.js';
import type { Store } from '../src/store.js';

/** A store for one test server, its job queue if any, and how to release both. */
export interface TestStore {
  store: Store;
  jobs?: AggregateJobs | undefined;
  close(): Promise<void>;
}

type Factory = (dataDir: string) => Promise<TestStore>;

const sqlite: Factory = async (dataDir) => {
  const store = new SqliteStore(dataDir);
  return { store, close: () => store.close() };
};
let factory: Factory = sqlite;

/** Sets the factory used by `startServer` from now on (`undefined`: SQLite again). */
export function useStore(f: Factory | undefined): void {
  factory = f ?? sqlite;
}

/** Opens the store for one test server. */
export function openTestStore(dataDir: string): Promise<TestStore> {
  return factory(dataDir);
}
