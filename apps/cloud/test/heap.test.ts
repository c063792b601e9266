// Zero trust in memory: the built server (`dist/main.js`, as `npm start` runs it) in its own process
// goes through the patient scenario; then a heap snapshot of that process (--heapsnapshot-signal)
// holds no name, diagnosis or amount. Positive control: a string the server's code keeps alive (an
// error code) is found in the same snapshot, so the snapshot is complete and strings are searchable.
// (The dataset name the client sent is not a usable control: nothing keeps it in memory after the
// request, and the snapshot collects garbage first.)
import { afterAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChannelClient } from '@nqc/channel';
import type { Patient } from '../src/patients.js';
import { b64, makeOwner } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-heap-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const secrets: Patient[] = [
  { name: 'Octavia Vrkzqplm', diagnosis: 'Zynthomeric Qvxal', age: 61, stay: 17, bill: 64827.93 },
  { name: 'Barnaby Qwxzjkfe', diagnosis: 'Plorvitis Xqzm', age: 44, stay: 9, bill: 57391.18 },
];
const CONTROL = 'ERR_CLOUD_UNENROLLED_WRITER';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a heap snapshot of the server process after the scenario holds no plaintext marker', async () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', main], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '', PORT: '0', HOST: '127.0.0.1', NQC_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [base, serverKey] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /nqc cloud: (http:\/\/[^ ]+)[^]*channel server key (nqc-pub-[a-z0-9-]+)/.exec(out);
      if (m) resolve([m[1]!, m[2]!]);
    });
    child!.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  const owner = await makeOwner();
  const client = await ChannelClient.connect(base, { serverKey, signingKey: owner.signer }); // /api is channel-only
  const post = (url: string, body: unknown, type = 'application/json') =>
    client.fetch(base + url, { method: 'POST', headers: { 'content-type': type }, body: body instanceof Uint8Array ? body : JSON.stringify(body) });
  try {
    const { id } = (await (await post('/api/datasets', { name: 'heap study', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) })).json()) as { id: string };
    expect((await post(`/api/datasets/${id}/envelopes`, await owner.seal(secrets), 'application/octet-stream')).status).toBe(201);
    for (const [op, path] of [['sum', 'bill'], ['mean', 'age'], ['count', 'stay']]) expect((await post(`/api/datasets/${id}/aggregate`, { op, path })).status).toBe(200);
  } finally {
    owner.keys.dispose();
  }
  child.kill('SIGUSR2');
  // The snapshot is written synchronously by the server's main thread: wait for a file whose size is stable.
  let file: string | undefined;
  let last = -1;
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last && (await fetch(`${base}/api/datasets`)).status === 401) break; // answering again
    last = size;
  }
  expect(file).toBeDefined();
  const snapshot = readFileSync(join(dir, file!), 'utf8');
  expect(snapshot.includes(CONTROL)).toBe(true);
  for (const m of secrets.flatMap((p) => [p.name, p.diagnosis, String(p.bill)])) expect({ marker: m, found: snapshot.includes(m) }).toEqual({ marker: m, found: false });
}, 300_000);
