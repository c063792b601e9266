// Replays across server instances in separate processes' shoes: two servers on one PostgreSQL
// database, each with its own PostgresReplayRegister (its own connections, as separate processes
// would have) on the same table. A request answered by A is refused by B and by A; nothing is
// created. Expired rows are taken over; two instances racing on one replay accept it once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ChannelClient } from '@nqc/channel';
import { generateChannelKeys } from '../../src/channel/index.js';
import { PostgresReplayRegister } from '../../src/channel/pg-replay.js';
import { b64, makeOwner, startServer, type Owner } from '../fixture.js';
import { useStore } from '../stores.js';
import { pgDescribe, startPostgres, type PgServer } from './pg-server.js';
import { postgresStore } from './use-postgres.js';

let pgServer: PgServer;
let owner: Owner;
const registers: PostgresReplayRegister[] = [];

pgDescribe(describe)('replay register in PostgreSQL', () => {
  beforeAll(async () => {
    pgServer = await startPostgres();
    owner = await makeOwner();
  }, 240_000);
  afterAll(async () => {
    for (const r of registers) await r.close();
    useStore(undefined);
    owner?.keys.dispose();
    await pgServer?.stop();
  });
  const open = async () => {
    const r = await PostgresReplayRegister.open({ connectionString: pgServer.url, schema: 'nqc_replay_test', pruneEvery: 2 });
    registers.push(r);
    return r;
  };

  test('a request answered by instance A is refused when replayed to B or A; nothing is created', async () => {
    useStore(postgresStore(pgServer.url, { cluster: 'replay', jobs: false }));
    const keys = await generateChannelKeys();
    const seen: string[] = [];
    const a = await startServer(':memory:', { user: owner.signer, channel: { keys, replay: await open() } });
    const b = await startServer(':memory:', { user: owner.signer, channel: { keys, replay: await open(), onRefuse: (c) => seen.push(c) } });
    try {
      const sent: { url: string; init: RequestInit }[] = [];
      const transport = (async (input: string | URL | Request, init?: RequestInit) => {
        if (init?.method === 'POST') sent.push({ url: String(input), init });
        return fetch(input, init);
      }) as typeof fetch;
      const c = await ChannelClient.connect(a.base, { serverKey: a.serverKey, signingKey: owner.signer, fetch: transport });
      const res = await c.fetch(`${a.base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'once', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }) });
      expect(res.status).toBe(201);
      const { url, init } = sent.at(-1)!;
      expect((await fetch(url.replace(a.base, b.base), init)).status).toBe(400);
      expect((await fetch(url, init)).status).toBe(400);
      expect(seen).toEqual(['ERR_CHANNEL_REPLAY']);
      expect((await b.store.listDatasets()).map((d) => d.name)).toEqual(['once']); // one database: A's one dataset
    } finally {
      await a.close();
      await b.close();
    }
  }, 240_000);

  test('an expired entry is taken over; of two instances racing on one encapsulation, one accepts it', async () => {
    const [r1, r2] = [await open(), await open()];
    const enc = crypto.getRandomValues(new Uint8Array(32));
    const now = Date.now();
    await r1.strike(enc, now + 60_000, now);
    await expect(r2.strike(enc, now + 60_000, now)).rejects.toMatchObject({ code: 'ERR_CHANNEL_REPLAY' });
    await r2.strike(enc, now + 200_000, now + 61_000); // expired by then: taken over (and pruned rows do not matter)
    const race = crypto.getRandomValues(new Uint8Array(32));
    const results = await Promise.allSettled([r1.strike(race, now + 60_000, now), r2.strike(race, now + 60_000, now)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  }, 120_000);
});
