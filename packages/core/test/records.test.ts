// Records and datasets with HE fields: the client encrypts, the server aggregates with the evaluation
// bundle only (reading headers without keys), the owner decrypts the result.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSchema, EvaluationBundle, HeClient, HeEvaluator, HeKeySet } from '@nqc/she';
import {
  aggregate,
  decryptAggregate,
  decryptDataset,
  decryptRecord,
  encryptDataset,
  encryptRecord,
  extractHeFields,
  inspect,
  updateRecipients,
} from '../src/index.js';
import { alice, bob, codeOf, signer } from './helpers.js';

const schema = defineSchema([
  { path: 'age', type: 'integer', min: 0, max: 130 },
  { path: 'account.balance', type: 'fixed', decimals: 2, min: -1_000_000, max: 1_000_000 },
]);
let keys: HeKeySet;
let client: HeClient;
let bundle: EvaluationBundle;
let evaluator: HeEvaluator;

beforeAll(async () => {
  keys = await HeKeySet.decode(new Uint8Array(readFileSync(join(import.meta.dirname, 'vectors', 'he-keyset.bin'))));
  client = await HeClient.create(keys, schema);
  bundle = await EvaluationBundle.decode(await (await keys.evaluationBundle()).encode()); // what the server receives
  evaluator = await HeEvaluator.create(bundle);
}, 60_000);
afterAll(() => {
  evaluator?.dispose();
  client?.dispose();
  keys?.dispose();
});

const people = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, name: `n${i}`, age: 18 + ((i * 7) % 60), account: { balance: (i * 12345) / 100 - 40 } }));

describe('records', () => {
  it('round trip; HE fields cross-checked; inspect lists them without keys', async () => {
    const env = await encryptRecord(people[3]!, { recipients: [alice.recipient()], he: client, signer, nde: 'off' });
    const info = await inspect(env);
    expect(info.he?.fields.map((f) => [f.path, f.scheme, f.layout, f.count])).toEqual([['record', 'bfv', 'record', 1]]);
    expect(info.he?.fields[0]!.paramsId).toBe(keys.paramsId);
    expect(info.he?.fields[0]!.keyId).toBe(keys.keyId);
    expect(info.he?.fields[0]!.values).toEqual(['age', 'account.balance']);
    const r = await decryptRecord(env, { identities: alice, requireSigner: signer, he: client, nde: 'off' });
    expect(r.record).toEqual(people[3]);
    expect(r.signer?.keyId).toBe(signer.keyId);
    expect(client.decryptRecord(r.heFields[0]!)).toEqual({ age: people[3]!.age, 'account.balance': people[3]!.account.balance });
  });

  it('server: sum, mean and count over many record envelopes, then the owner decrypts', async () => {
    const envs = await Promise.all(people.map((p) => encryptRecord(p, { recipients: [alice.recipient()], he: client, nde: 'off' })));
    expect((await extractHeFields(envs[0]!, 'age')).length).toBe(1);
    expect((await extractHeFields(envs[0]!, 'nope')).length).toBe(0);
    const sum = await aggregate(envs, { op: 'sum', path: 'age', evaluator: bundle });
    expect(decryptAggregate(sum, client)).toBe(people.reduce((a, p) => a + p.age, 0));
    const mean = await aggregate(envs, { op: 'mean', path: 'account.balance', evaluator });
    const want = people.reduce((a, p) => a + Math.round(p.account.balance * 100), 0) / 100 / people.length;
    expect(decryptAggregate(mean, client)).toBeCloseTo(want, 9);
    expect(await aggregate(envs, { op: 'count', path: 'age', evaluator })).toBe(people.length);
    expect(await codeOf(() => aggregate(envs, { op: 'sum', path: 'missing', evaluator }))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('dataset envelope: column-packed fields, the fast path', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, age: i % 131, account: { balance: ((i * 37) % 100000) / 100 } }));
    const env = await encryptDataset(rows, { recipients: [bob.recipient()], he: client, nde: 'off' });
    const info = await inspect(env);
    expect(info.he?.fields.map((f) => [f.path, f.layout, f.parts, f.count])).toEqual([
      ['account.balance', 'column', 2, 5000],
      ['age', 'column', 2, 5000],
    ]);
    const cts = await extractHeFields(env, 'age');
    expect(cts.length).toBe(2);
    const sum = await aggregate([env], { op: 'sum', path: 'age', evaluator });
    expect(decryptAggregate(sum, client)).toBe(rows.reduce((a, r) => a + r.age, 0));
    const d = await decryptDataset(env, { identities: bob, he: client, nde: 'off' });
    expect(d.records.length).toBe(5000);
    // re-wrapping keeps the HE section byte for byte, so the server's view does not change
    const up = await updateRecipients(env, { identities: bob, recipients: [alice.recipient()] });
    expect(decryptAggregate(await aggregate([up], { op: 'sum', path: 'age', evaluator }), client)).toBe(rows.reduce((a, r) => a + r.age, 0));
  }, 60_000);

  it('bad records are refused with typed errors', async () => {
    expect(await codeOf(() => encryptRecord({ age: 'x' } as never, { recipients: alice.recipient(), he: client, nde: 'off' }))).toBe('ERR_CORE_RECORD');
    expect(await codeOf(() => encryptRecord({ age: 500, account: { balance: 1 } }, { recipients: alice.recipient(), he: client, nde: 'off' }))).toBe('ERR_SHE_RANGE');
    expect(await codeOf(() => encryptRecord([] as never, { recipients: alice.recipient(), he: client, nde: 'off' }))).toBe('ERR_CORE_RECORD');
    expect(await codeOf(() => encryptRecord({ age: 1 }, { recipients: alice.recipient(), he: {} as never, nde: 'off' }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => encryptRecord({ age: 1 }, { recipients: alice.recipient(), he: keys, nde: 'off' }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => encryptRecord({ age: 1 }, { recipients: alice.recipient(), he: client, fields: [{ path: 'age', type: 'integer', min: 0, max: 5 }], nde: 'off' }))).toBe('ERR_CORE_INVALID_ARGUMENT');
  });

  it('accepts an HE key set with the fields spelled out', async () => {
    const fields = [{ path: 'vitals.pulse', type: 'integer', min: 20, max: 250 }] as const;
    const env = await encryptRecord({ id: 'x', vitals: { pulse: 72 } }, { recipients: alice.recipient(), he: keys, fields, nde: 'off' });
    const c2 = await HeClient.create(keys, defineSchema(fields));
    const r = await decryptRecord(env, { identities: alice, he: c2, nde: 'off' });
    expect(r.record).toEqual({ id: 'x', vitals: { pulse: 72 } });
    expect(decryptAggregate(await aggregate([env], { op: 'sum', path: 'vitals.pulse', evaluator }), c2)).toBe(72);
    c2.dispose();
  });
});
