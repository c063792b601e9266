// aggregate() in constant memory: ciphertexts are folded, 32 at a time, into one running result
// (evaluators with `runningSums`), and the input iterator is read at most one envelope ahead.
// Same values, overflow refusal and signer checks as one call over all the inputs.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSchema, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, type HeCiphertext, type HeMean } from '@nqc/she';
import { aggregate, decryptAggregate, encryptRecord, extractHeFields, type AggregateEvaluator } from '../src/index.js';
import { aggregate as aggregateNode } from '../src/node.js';
import { alice, codeOf, mallory, signer } from './helpers.js';

const BATCH = 32;
const schema = defineSchema([
  { path: 'age', type: 'integer', min: 0, max: 130 },
  { path: 'account.balance', type: 'fixed', decimals: 2, min: -1_000_000, max: 1_000_000 },
]);
let keys: HeKeySet;
let client: HeClient;
let bundleBytes: Uint8Array;
let evaluator: HeEvaluator;
let envs: Uint8Array[];
let signed: Uint8Array[];
const people = Array.from({ length: 2 * BATCH + 3 }, (_, i) => ({ id: `p${i}`, age: (i * 37) % 131, account: { balance: (((i * 7919) % 200_000) - 100_000) / 100 } }));

beforeAll(async () => {
  keys = await HeKeySet.decode(new Uint8Array(readFileSync(join(import.meta.dirname, 'vectors', 'he-keyset.bin'))));
  client = await HeClient.create(keys, schema);
  bundleBytes = await (await keys.evaluationBundle()).encode();
  evaluator = await HeEvaluator.create(await EvaluationBundle.decode(bundleBytes));
  envs = [];
  for (const p of people) envs.push(await encryptRecord(p, { recipients: [alice.recipient()], he: client, nde: 'off' }));
  signed = [];
  for (const p of people.slice(0, BATCH + 2)) signed.push(await encryptRecord(p, { recipients: [alice.recipient()], he: client, signer, nde: 'off' }));
}, 600_000);
afterAll(() => {
  evaluator?.dispose();
  client?.dispose();
  keys?.dispose();
});

/** Wraps an evaluator: records the size of every call and how far the input iterator ran ahead. */
function spy(ev: AggregateEvaluator) {
  const s = { calls: 0, maxInputs: 0, maxAhead: 0, passed: 0, yielded: 0 };
  const note = (inputs: readonly HeCiphertext[]): void => {
    s.calls++;
    s.maxInputs = Math.max(s.maxInputs, inputs.length);
    s.passed += inputs.filter((c) => c.kind === 'field').length; // fresh inputs (one per record envelope)
    s.maxAhead = Math.max(s.maxAhead, s.yielded - s.passed);
  };
  const wrapped: AggregateEvaluator = {
    runningSums: ev.runningSums,
    count: (i) => (note(i), ev.count(i)),
    sum: (i, p) => (note(i), ev.sum(i, p)),
    mean: (i, p) => (note(i), ev.mean(i, p)),
  };
  async function* feed<T>(xs: readonly T[]): AsyncGenerator<T> {
    for (const x of xs) {
      s.yielded++;
      yield x;
    }
  }
  return { s, ev: wrapped, feed };
}

const plainSum = (n: number, f: (p: (typeof people)[number]) => number): number => people.slice(0, n).reduce((a, p) => a + f(p), 0);

describe('aggregate: running sums in constant memory', () => {
  it('good_batches: random counts, exactly one batch and batch+1: same values as one call; no call gets more than batch+1 ciphertexts; the iterator runs at most one envelope ahead', async () => {
    let seed = 0x1234;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    const counts = [1, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH, 2 * BATCH + 1, 1 + Math.floor(rand() * people.length), 1 + Math.floor(rand() * people.length)];
    for (const n of counts) {
      const inputs = envs.slice(0, n);
      const all = (await Promise.all(inputs.map((e) => extractHeFields(e, 'age')))).flat();
      const once = evaluator.sum(all, 'age'); // the one call aggregate made before
      for (const op of ['sum', 'mean', 'count'] as const) {
        const { s, ev, feed } = spy(evaluator);
        const r = await aggregate(feed(inputs), { op, path: op === 'mean' ? 'account.balance' : 'age', evaluator: ev });
        expect(s.maxInputs).toBeLessThanOrEqual(BATCH + 1);
        expect(s.maxAhead).toBeLessThanOrEqual(1);
        expect(s.calls).toBe(Math.ceil(n / BATCH));
        expect(s.passed).toBe(n);
        if (op === 'count') expect(r).toBe(n);
        else if (op === 'sum') {
          expect(decryptAggregate(r, client)).toBe(plainSum(n, (p) => p.age));
          expect(client.decryptExact(r as HeCiphertext)).toEqual(client.decryptExact(once));
          expect((r as HeCiphertext).values).toEqual(once.values);
          expect((r as HeCiphertext).count).toBe(n);
        } else {
          expect((r as HeMean).count).toBe(n);
          const cents = people.slice(0, n).reduce((a, p) => a + Math.round(p.account.balance * 100), 0);
          expect(decryptAggregate(r, client)).toBeCloseTo(cents / 100 / n, 9);
        }
      }
    }
  }, 900_000);

  it('fail_overflow: ERR_SHE_OVERFLOW at the same total as one call (40 fit, 41 do not), across batches', async () => {
    const half = (evaluator.preset.plainModulus - 1n) / 2n;
    const max = Number(half / 40n);
    const wide = await HeClient.create(keys, defineSchema([{ path: 'big', type: 'integer', min: 0, max }]));
    try {
      const cts = Array.from({ length: 41 }, () => wide.encryptColumn('big', [max])[0]!);
      expect(await codeOf(() => evaluator.sum(cts, 'big'))).toBe('ERR_SHE_OVERFLOW');
      const ok = await aggregate(cts.slice(0, 40), { op: 'sum', path: 'big', evaluator });
      expect(wide.decryptExact(ok as HeCiphertext)[0]).toBe(40n * BigInt(max));
      const { s, ev } = spy(evaluator);
      expect(await codeOf(() => aggregate(cts, { op: 'sum', path: 'big', evaluator: ev }))).toBe('ERR_SHE_OVERFLOW');
      expect(s.calls).toBe(2);
      expect(await codeOf(() => aggregate(cts, { op: 'mean', path: 'big', evaluator }))).toBe('ERR_SHE_OVERFLOW');
    } finally {
      wide.dispose();
    }
  }, 300_000);

  it('requireSigners: unchanged across batches (a foreign or unsigned envelope after the first batch is refused)', async () => {
    const trusted = [signer.verifyingKey().toString()];
    const r = await aggregate(signed, { op: 'sum', path: 'age', evaluator, requireSigners: trusted });
    expect(decryptAggregate(r, client)).toBe(plainSum(BATCH + 2, (p) => p.age));
    const foreign = await encryptRecord(people[0]!, { recipients: [alice.recipient()], he: client, signer: mallory, nde: 'off' });
    expect(await codeOf(() => aggregate([...signed, foreign], { op: 'sum', path: 'age', evaluator, requireSigners: trusted }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(await codeOf(() => aggregate([...signed, envs[0]!], { op: 'mean', path: 'age', evaluator, requireSigners: trusted }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    const bare = (await extractHeFields(envs[0]!, 'age'))[0]!;
    expect(await codeOf(() => aggregate([...signed, bare], { op: 'count', path: 'age', evaluator, requireSigners: trusted }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
  }, 300_000);

  it('an evaluator without runningSums still gets one call with everything (compatible)', async () => {
    const { s, ev } = spy(evaluator);
    const legacy: AggregateEvaluator = { count: ev.count, sum: ev.sum, mean: ev.mean };
    const r = await aggregate(envs, { op: 'sum', path: 'age', evaluator: legacy });
    expect(s.calls).toBe(1);
    expect(s.maxInputs).toBe(envs.length);
    expect(decryptAggregate(r, client)).toBe(plainSum(envs.length, (p) => p.age));
  }, 300_000);

  it('Node entry with a bundle (worker thread): running sums across the thread give the same value', async () => {
    const sum = await aggregateNode(envs, { op: 'sum', path: 'age', evaluator: bundleBytes });
    expect(decryptAggregate(sum, client)).toBe(plainSum(envs.length, (p) => p.age));
    const mean = await aggregateNode(envs, { op: 'mean', path: 'account.balance', evaluator: bundleBytes });
    expect((mean as HeMean).count).toBe(envs.length);
    const cents = people.reduce((a, p) => a + Math.round(p.account.balance * 100), 0);
    expect(decryptAggregate(mean, client)).toBeCloseTo(cents / 100 / envs.length, 9);
  }, 300_000);
});
