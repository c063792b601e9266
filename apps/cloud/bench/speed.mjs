#!/usr/bin/env node
// Speed of the cloud app's fast path: N made-up patients encrypted into ONE signed column-packed
// envelope (owner side, Node), uploaded to the real server over HTTP (SQLite in a temporary
// directory), then sum(age) and mean(stay) computed by the server and decrypted by the owner.
// `node bench/speed.mjs [N ...]` (default 10000 100000); build first. Prints one JSON line per N.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptAggregate, encryptDataset, generateIdentity, generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext, defineSchema, HeClient, HeKeySet } from '@nqc/she';
import { buildServer, makePatients, PATIENT_FIELDS, SqliteStore } from '../dist/index.js';

const sizes = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-speed-'));
const store = new SqliteStore(dir);
const app = await buildServer({ store, maxEnvelopeBytes: 64 * 1024 * 1024 });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const keys = await HeKeySet.generate('bfv-n4096');
const he = await HeClient.create(keys, defineSchema([...PATIENT_FIELDS]));
const bundle = await (await keys.evaluationBundle()).encode();
const me = generateIdentity();
const signer = generateSigningKey();
const post = async (url, body, type = 'application/json') => {
  const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': type }, body: type === 'application/json' ? JSON.stringify(body) : body });
  const json = await res.json();
  if (!res.ok) throw new Error(JSON.stringify(json));
  return json;
};
const ms = (t) => Math.round(performance.now() - t);
try {
  for (const n of sizes.length ? sizes : [10_000, 100_000]) {
    const { id } = await post('/api/datasets', { name: `speed ${n}`, writers: [signer.verifyingKey().toString()], bundle: Buffer.from(bundle).toString('base64') });
    const patients = makePatients(n, 11);
    const t0 = performance.now();
    const env = await encryptDataset(patients, { recipients: [me.recipient().toString()], he, signer, nde: 'off' });
    const encryptMs = ms(t0);
    const t1 = performance.now();
    await post(`/api/datasets/${id}/envelopes`, env, 'application/octet-stream');
    const uploadMs = ms(t1);
    const t2 = performance.now();
    const sum = await post(`/api/datasets/${id}/aggregate`, { op: 'sum', path: 'age' });
    const age = decryptAggregate(decodeCiphertext(new Uint8Array(Buffer.from(sum.result.ciphertext, 'base64'))), he);
    const sumRoundTripMs = ms(t2);
    const mean = await post(`/api/datasets/${id}/aggregate`, { op: 'mean', path: 'stay' });
    const exact = age === patients.reduce((a, p) => a + p.age, 0);
    console.log(JSON.stringify({
      records: n, envelopeBytes: env.byteLength, plaintextJsonBytes: Buffer.byteLength(JSON.stringify(patients)),
      encryptMs, uploadAndCheckMs: uploadMs, sumServerMs: sum.timings.serverMs, sumRoundTripWithDecryptMs: sumRoundTripMs,
      meanStayServerMs: mean.timings.serverMs, endToEndMs: encryptMs + uploadMs + sumRoundTripMs, sumExact: exact,
    }));
  }
} finally {
  await app.close();
  await store.close();
  keys.dispose();
  rmSync(dir, { recursive: true, force: true });
}
