// The per-owner dataset quota (maxDatasetsPerOwner): any key may create datasets, but not without
// limit; over the quota the creation is refused before the bundle is parsed, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@nqc/core/node';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  owner = await makeOwner();
  server = await startServer(':memory:', { user: owner.signer, ...({ maxDatasetsPerOwner: 2 } as object) });
}, 240_000);

afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
});

describe('maxDatasetsPerOwner', () => {
  it('the third dataset of one key is 403 ERR_CLOUD_QUOTA, not stored nor audited; another key still creates', async () => {
    const create = (as?: ReturnType<typeof generateSigningKey>) =>
      server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'q', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }, ...(as ? { as } : {}) });
    expect((await create()).statusCode).toBe(201);
    expect((await create()).statusCode).toBe(201);
    const audit = (await server.store.listAudit({ limit: 1000 })).length;
    const over = await create();
    expect(over.statusCode).toBe(403);
    expect(over.json<{ error: { code: string } }>().error.code).toBe('ERR_CLOUD_QUOTA');
    expect((await server.store.listAudit({ limit: 1000 })).length).toBe(audit);
    expect(await server.store.countDatasetsOwnedBy(owner.signer.verifyingKey().toString())).toBe(2);
    const other = generateSigningKey();
    expect((await create(other)).statusCode).toBe(201);
    // The owner lists its two and the other key's (it is enrolled there as a writer).
    expect((await server.app.inject({ url: '/api/datasets' })).json<{ datasets: unknown[] }>().datasets.length).toBe(3);
  }, 240_000);
});
