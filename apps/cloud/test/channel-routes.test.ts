// Every /api route over @nqc/channel: answered for the authenticated user, refused (401) over plain
// HTTP and to an anonymous channel client; what a proxy sees on the wire is ciphertext only; the
// plain routes that remain (the page, the key configuration, /status) still answer.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelClient, CHUNKED_REQUEST_MEDIA_TYPE, REQUEST_MEDIA_TYPE, verifyKeyConfigs } from '@nqc/channel';
import { parseVerifyingKey } from '@nqc/pql';
import { makePatients } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

let owner: Owner;
let server: Awaited<ReturnType<typeof startServer>>;
let id: string;
const pageDir = mkdtempSync(join(tmpdir(), 'nqc-cloud-page-'));
writeFileSync(join(pageDir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
const errorOf = (res: { json<T>(): T }) => res.json<{ error: { code: string; message: string } }>().error;

beforeAll(async () => {
  owner = await makeOwner();
  server = await startServer(':memory:', { user: owner.signer, pageDir });
}, 240_000);
afterAll(async () => {
  await server?.close();
  owner?.keys.dispose();
  rmSync(pageDir, { recursive: true, force: true });
});

describe('every /api route over the channel, as the authenticated owner', () => {
  test('create (chunked: the bundle is 1.7 MB), list, get, upload, envelopes, aggregate, audit', async () => {
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'routes', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
    expect(created.statusCode).toBe(201);
    id = created.json<{ id: string }>().id;
    expect(created.json<{ owner: string; readers: string[] }>()).toMatchObject({ owner: owner.signer.verifyingKey().toString(), readers: [] });
    expect((await server.store.getDataset(id))?.owner).toBe(owner.signer.verifyingKey().toString());
    expect((await server.app.inject({ url: '/api/datasets' })).json<{ datasets: { id: string }[] }>().datasets.map((d) => d.id)).toEqual([id]);
    expect((await server.app.inject({ url: `/api/datasets/${id}` })).json<{ name: string }>().name).toBe('routes');
    const up = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: await owner.seal(makePatients(10, 1)) });
    expect(up.statusCode).toBe(201);
    expect((await server.app.inject({ url: `/api/datasets/${id}/envelopes` })).json<{ envelopes: unknown[] }>().envelopes).toHaveLength(1);
    const sum = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'count', path: 'age' } });
    expect(sum.json<{ result: { value: number } }>().result.value).toBe(10);
    const actions = (await server.app.inject({ url: `/api/audit?dataset=${id}` })).json<{ entries: { action: string }[] }>().entries.map((e) => e.action);
    expect(actions).toEqual(['dataset.create', 'envelope.store', 'aggregate']);
  }, 240_000);

  test('the answer names the channel: suite X-Wing/HKDF-SHA256/ChaCha20-Poly1305 and the client key id', async () => {
    const c = await server.client(owner.signer);
    const res = await c.fetch(`${server.base}/api/datasets`);
    expect(res.headers.get('nqc-channel')).toBe(`suite=0x647a-0x0001-0x0003; key-config=1; client=${owner.signer.keyId}`);
  }, 60_000);

  test('on the wire: only encapsulated requests to the gateway, no route, JSON field or dataset name in clear', async () => {
    const wire: { url: string; type: string; body: Buffer }[] = [];
    const transport = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'POST') {
        const body = init.body instanceof Blob ? Buffer.from(await init.body.arrayBuffer()) : Buffer.from(init.body as Uint8Array);
        wire.push({ url: String(input), type: String((init.headers as Record<string, string>)['content-type']), body });
      }
      return fetch(input, init);
    }) as typeof fetch;
    const c = await ChannelClient.connect(server.base, { serverKey: server.serverKey, signingKey: owner.signer, fetch: transport });
    expect((await c.fetch(`${server.base}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Zqxvj study', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) }) })).status).toBe(201);
    expect((await c.fetch(`${server.base}/api/datasets/${id}/aggregate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'sum', path: 'age' }) })).status).toBe(200);
    expect(wire.map((w) => [new URL(w.url).pathname, w.type])).toEqual([['/.well-known/ohttp-gateway', CHUNKED_REQUEST_MEDIA_TYPE], ['/.well-known/ohttp-gateway', REQUEST_MEDIA_TYPE]]);
    for (const w of wire) for (const clear of ['Zqxvj', 'writers', 'bundle', '/api/', 'aggregate', owner.signer.verifyingKey().toString().slice(0, 40)]) expect({ clear, found: w.body.includes(clear) }).toEqual({ clear, found: false });
  }, 240_000);
});

describe('refused outside the channel or without a user key (401 ERR_CLOUD_UNAUTHENTICATED), for every route', () => {
  const routes: [string, string, unknown][] = [
    ['POST', '/api/datasets', { writers: [], bundle: 'AA==' }],
    ['GET', '/api/datasets', undefined],
    ['GET', '/api/datasets/x', undefined],
    ['POST', '/api/datasets/x/envelopes', new Uint8Array(10)],
    ['GET', '/api/datasets/x/envelopes', undefined],
    ['POST', '/api/datasets/x/aggregate', { op: 'sum', path: 'age' }],
    ['GET', '/api/audit?dataset=x', undefined],
  ];
  test.each(routes)('%s %s', async (method, url, payload) => {
    const real = url.replace('/x', `/${id}`);
    for (const as of ['plain', 'anonymous'] as const) {
      const res = await server.app.inject({ method, url: real, payload, as, ...(payload instanceof Uint8Array ? { headers: { 'content-type': 'application/octet-stream' } } : {}) });
      expect([as, res.statusCode, errorOf(res).code]).toEqual([as, 401, 'ERR_CLOUD_UNAUTHENTICATED']);
    }
  }, 60_000);

  test('an escaped spelling of the path does not slip past (never answered in plain)', async () => {
    for (const url of ['/%61pi/datasets', '/api%2Fdatasets', '/api//datasets']) expect([url, (await fetch(server.base + url)).status]).not.toEqual([url, 200]);
  });

  test('nothing was created or stored by those requests', async () => {
    expect(await server.store.listEnvelopes(id)).toHaveLength(1);
    expect((await server.store.listDatasets()).length).toBe(2);
  });
});

describe('the plain routes that remain', () => {
  test('the signed key configuration verifies under the server key; the page carries that key; /api is not plain', async () => {
    const res = await fetch(`${server.base}/.well-known/ohttp-gateway`, { headers: { accept: 'application/nqc-signed-ohttp-keys' } });
    const keys = verifyKeyConfigs(new Uint8Array(await res.arrayBuffer()), parseVerifyingKey(server.serverKey));
    expect(keys.configs[0]?.kem).toBe(0x647a);
    const html = await (await fetch(`${server.base}/`)).text();
    expect(html).toContain(`<meta name="nqc-server-key" content="${server.serverKey}">`);
  }, 60_000);
});
