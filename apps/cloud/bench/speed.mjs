#!/usr/bin/env node
// Speed of the cloud app's fast path: N made-up patients encrypted into ONE signed column-packed
// envelope (owner side, Node), uploaded to the real server over HTTP through @nqc/channel, then
// sum(age) and mean(stay) computed by the server and decrypted by the owner.
//   node bench/speed.mjs [N ...]             SQLite in a temporary directory, one in-process server
//   node bench/speed.mjs --process [N ...]   SQLite, one dist/main.js process (as --postgres runs them)
//   node bench/speed.mjs --postgres [N ...]  two server processes (dist/main.js) on one PostgreSQL
//     database (NQC_DATABASE_URL, else a throw-away server started here with Debian's initdb):
//     upload through A, sum(age) through B, mean(stay) through A; aggregates are pg-boss jobs.
// Default N: 10000 100000; build first. Prints one JSON line per N.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChannelClient } from '@nqc/channel';
import { decryptAggregate, encryptDataset, generateIdentity, generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext, defineSchema, HeClient, HeKeySet } from '@nqc/she';
import { buildServer, makePatients, PATIENT_FIELDS, SqliteStore } from '../dist/index.js';

const args = process.argv.slice(2);
const postgres = args.includes('--postgres');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-speed-'));
const cleanups = [];
const ms = (t) => Math.round(performance.now() - t);

/** A throw-away PostgreSQL on a unix socket in `dir` (as the postgres user when root). */
function startPostgres() {
  const root = '/usr/lib/postgresql';
  const ver = existsSync(root) && readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a)[0];
  const bin = process.env.NQC_PG_BIN ?? (ver && join(root, ver, 'bin'));
  if (!bin || !existsSync(join(bin, 'initdb'))) throw new Error('no PostgreSQL binaries: apt-get install -y postgresql, or set NQC_DATABASE_URL');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd, argv) => (asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...argv]) : execFileSync(cmd, argv));
  const sock = mkdtempSync(join(tmpdir(), 'nqc-speed-pg-'));
  if (asRoot) chownSync(sock, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
  run(join(bin, 'initdb'), ['-D', join(sock, 'data'), '-U', 'nqc', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  run(join(bin, 'pg_ctl'), ['-D', join(sock, 'data'), '-l', join(sock, 'log'), '-o', `-k ${sock} -c listen_addresses= -c fsync=off -c synchronous_commit=off`, '-w', 'start']);
  cleanups.push(() => {
    run(join(bin, 'pg_ctl'), ['-D', join(sock, 'data'), '-m', 'fast', '-w', 'stop']);
    rmSync(sock, { recursive: true, force: true });
  });
  return `postgresql://nqc@/postgres?host=${encodeURIComponent(sock)}`;
}

/** `node dist/main.js` on a free port; resolves to its base URL and channel server key. */
function startInstance(name, env) {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', NQC_INSTANCE: name, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code}`)));
    child.stdout.on('data', (d) => {
      if (/"level":(4|5)\d/.test(String(d)) && !String(d).includes('FST_UNDER_PRESSURE')) process.stderr.write(`[${name}] ${d}`); // warnings and errors of the instance
      out += d;
      const base = /nqc cloud: (http:\/\/\S+)/.exec(out)?.[1];
      const key = /channel server key (\S+)/.exec(out)?.[1];
      if (base && key) resolve({ base, serverKey: key });
    });
  });
}

let a;
let b;
let inProcessBase;
if (postgres) {
  const url = process.env.NQC_DATABASE_URL ?? startPostgres();
  const env = { NQC_DATABASE_URL: url, NQC_DATA_DIR: dir, NQC_CHANNEL_KEYS: join(dir, 'channel-keys.txt') };
  a = await startInstance('A', env); // creates the key file, then B reads the same one
  b = await startInstance('B', env);
} else if (args.includes('--process')) {
  a = b = await startInstance('sqlite', { NQC_DATA_DIR: join(dir, 'sqlite') });
} else {
  const store = new SqliteStore(join(dir, 'sqlite'));
  const app = await buildServer({ store, maxEnvelopeBytes: 64 * 1024 * 1024 });
  inProcessBase = await app.listen({ host: '127.0.0.1', port: 0 });
  a = b = { base: inProcessBase, serverKey: app.channelServerKey };
  cleanups.push(async () => {
    await app.close();
    await store.close();
  });
}
const keys = await HeKeySet.generate('bfv-n4096');
const he = await HeClient.create(keys, defineSchema([...PATIENT_FIELDS]));
const bundle = await (await keys.evaluationBundle()).encode();
const me = generateIdentity();
const signer = generateSigningKey();
const clientOf = async (s) => ({ base: s.base, client: await ChannelClient.connect(s.base, { serverKey: s.serverKey, signingKey: signer }) });
const [A, B] = [await clientOf(a), await clientOf(b)];
// dist/main.js runs agentsPlugin's load shedding: on a loaded machine a request can be refused
// before any handler runs (logged FST_UNDER_PRESSURE, answered 500 ERR_CLOUD_INTERNAL, or 503 by the
// channel's gateway); it is sent
// again after 0.5 s (the time counts) and the retries are reported as `shed`.
let shed = 0;
const post = async (to, url, body, type = 'application/json') => {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await to.client.fetch(to.base + url, { method: 'POST', headers: { 'content-type': type }, body: type === 'application/json' ? JSON.stringify(body) : body });
    } catch (e) {
      // Shed at the channel's gateway (before the request is decapsulated): a plain 503.
      if (a.base === inProcessBase || !/answered 503/.test(e.message) || attempt >= 10) throw e;
      shed++;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const json = await res.json();
    if (res.ok) return json;
    if (a.base !== inProcessBase && json.error?.code === 'ERR_CLOUD_INTERNAL' && attempt < 10) {
      shed++;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    throw new Error(JSON.stringify(json));
  }
};
try {
  for (const n of sizes.length ? sizes : [10_000, 100_000]) {
    const { id } = await post(A, '/api/datasets', { name: `speed ${n}`, writers: [signer.verifyingKey().toString()], bundle: Buffer.from(bundle).toString('base64') });
    const patients = makePatients(n, 11);
    shed = 0;
    const t0 = performance.now();
    const env = await encryptDataset(patients, { recipients: [me.recipient().toString()], he, signer, nde: 'off' });
    const encryptMs = ms(t0);
    const t1 = performance.now();
    await post(A, `/api/datasets/${id}/envelopes`, env, 'application/octet-stream');
    const uploadMs = ms(t1);
    const t2 = performance.now();
    const sum = await post(B, `/api/datasets/${id}/aggregate`, { op: 'sum', path: 'age' });
    const age = decryptAggregate(decodeCiphertext(new Uint8Array(Buffer.from(sum.result.ciphertext, 'base64'))), he);
    const sumRoundTripMs = ms(t2);
    // Again through B. With PostgreSQL either instance's worker takes a job; an instance's first job
    // on a dataset it did not create starts that dataset's SEAL worker thread (loads the bundle).
    const t3 = performance.now();
    const again = await post(B, `/api/datasets/${id}/aggregate`, { op: 'sum', path: 'age' });
    const secondRoundTripMs = ms(t3);
    const mean = await post(A, `/api/datasets/${id}/aggregate`, { op: 'mean', path: 'stay' });
    const exact = age === patients.reduce((x, p) => x + p.age, 0);
    console.log(JSON.stringify({
      store: postgres ? 'postgres, 2 instances' : args.includes('--process') ? 'sqlite, 1 process' : 'sqlite',
      records: n, envelopeBytes: env.byteLength, plaintextJsonBytes: Buffer.byteLength(JSON.stringify(patients)),
      encryptMs, uploadAndCheckMs: uploadMs, sumServerMs: sum.timings.serverMs, sumWorker: sum.timings.worker ?? 'local', sumRoundTripWithDecryptMs: sumRoundTripMs,
      secondSumServerMs: again.timings.serverMs, secondSumWorker: again.timings.worker ?? 'local', secondSumRoundTripMs: secondRoundTripMs,
      meanStayServerMs: mean.timings.serverMs, meanWorker: mean.timings.worker ?? 'local', endToEndMs: encryptMs + uploadMs + sumRoundTripMs, sumExact: exact, shed,
    }));
  }
} finally {
  keys.dispose();
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
}
