// The server tests (../server.test.ts) again, on PostgreSQL: PostgresStore, sum/mean/count as
// pg-boss jobs worked by the server itself, against a throw-away PostgreSQL server (./pg-server.ts).
import { afterAll, expect, test } from '@jest/globals';
import { useStore } from '../stores.js';
import { postgresMissing, startPostgres } from './pg-server.js';
import { postgresStore } from './use-postgres.js';

const missing = postgresMissing();
if (missing !== undefined) {
  if (process.env['CI'] === 'true') throw new Error(`PostgreSQL tests cannot run under CI=true: ${missing}`);
  console.log(`skipping the PostgreSQL server tests: ${missing}`);
  test.skip('the server tests on PostgreSQL', () => undefined);
} else {
  // Started before the server tests' own beforeAll starts their server (module order), stopped after.
  const pgServer = await startPostgres();
  const open = postgresStore(pgServer.url);
  let opened = 0;
  useStore(async () => {
    opened++;
    return open();
  });
  await import('../server.test.js');
  test('those tests ran on PostgreSQL', () => expect(opened).toBeGreaterThan(0));
  afterAll(async () => {
    useStore(undefined);
    await pgServer.stop();
  });
}
