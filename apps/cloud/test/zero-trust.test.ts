// Zero trust, checked: after the whole patient scenario (uploads, refusals, aggregates, audit), no
// plaintext marker (a name, a diagnosis, an amount) appears in the database files, the server's
// logs (at trace level) or any response. The server saw envelopes and the evaluation bundle only.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateSigningKey } from '@nqc/core/node';
import { makePatients, type Patient } from '../src/patients.js';
import { b64, makeOwner, startServer } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-zt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Markers that cannot occur by chance: unusual names and diagnoses, amounts with distinctive digits.
const secrets: Patient[] = [
  { name: 'Quentin Zyxwvut', diagnosis: 'Kxylophobia Qzx', age: 67, stay: 13, bill: 73917.46 },
  { name: 'Wilhelmina Pqjrst', diagnosis: 'Vmrtosis Jkq', age: 54, stay: 21, bill: 88361.29 },
];
const markers = (ps: readonly Patient[]) => ps.flatMap((p) => [p.name, p.diagnosis, String(p.bill)]);
// Found as UTF-8/Latin-1 or UTF-16 text (SQLite could store text either way).
let userSecrets: string[] = [];
const found = (text: string, m: string) => text.includes(m) || text.includes(Buffer.from(m, 'utf16le').toString('latin1'));

test('no plaintext marker in the database files, the logs or the responses', async () => {
  const logs: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString('utf8')); done(); } });
  const owner = await makeOwner();
  userSecrets = [owner.signer.toString(), owner.identity.toString()]; // the secret key strings
  const server = await startServer(dir, { logger: { level: 'trace', stream }, user: owner.signer }); // every request over the channel, as the owner
  try {
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'study', writers: [owner.signer.verifyingKey().toString()], bundle: b64(owner.bundle) } });
    const id = created.json<{ id: string }>().id;
    const up = (b: Uint8Array) => server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: b });
    expect((await up(await owner.seal([...secrets, ...makePatients(20, 3)]))).statusCode).toBe(201);
    expect((await up(await owner.seal(secrets.map((p) => ({ ...p, name: `${p.name} II` }))))).statusCode).toBe(201);
    // A refusal with secrets inside: an unenrolled writer's envelope (encrypted, so still unreadable).
    expect((await up(await owner.seal(secrets, generateSigningKey()))).statusCode).toBe(403);
    for (const [op, path] of [['sum', 'bill'], ['mean', 'age'], ['count', 'stay'], ['sum', 'stay']]) {
      expect((await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op, path } })).statusCode).toBe(200);
    }
    await server.app.inject({ url: `/api/datasets/${id}/envelopes` });
    await server.app.inject({ url: `/api/audit?dataset=${id}` });
    await server.app.inject({ url: `/api/datasets/${id}` });
  } finally {
    await server.close();
    owner.keys.dispose();
  }
  const files = readdirSync(dir);
  expect(files).toContain('nqc-cloud.sqlite');
  const haystacks: [string, string][] = [
    ...files.map((f): [string, string] => [f, readFileSync(join(dir, f)).toString('latin1')]),
    ['logs', logs.join('')],
    ['responses', server.responses.join('\n')],
  ];
  expect(logs.length).toBeGreaterThan(10);
  expect(server.responses.length).toBeGreaterThan(8);
  for (const [where, text] of haystacks) {
    for (const m of markers(secrets)) {
      expect({ where, marker: m, found: found(text, m) }).toEqual({ where, marker: m, found: false });
    }
    // Nothing secret of the user's either: every request was signed over the channel with this key.
    for (const m of userSecrets) expect({ where, marker: m.slice(0, 24), found: found(text, m) }).toEqual({ where, marker: m.slice(0, 24), found: false });
  }
  // The search can fail: it finds every marker in the plaintext the records were made from.
  expect(markers(secrets).every((m) => found(JSON.stringify(secrets), m))).toBe(true);
}, 300_000);
