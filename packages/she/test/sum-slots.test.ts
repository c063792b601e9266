// sumSlots: the slot-wise sum (additions only, no Galois keys) behind histograms and grouped sums.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeCiphertext, defineSchema, encodeCiphertext, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, NqcSheError, type HeCiphertext } from '../src/index.js';
import { HeWorkerEvaluator } from '../src/node.js';

const schema = defineSchema([
  { path: 'bin.low', type: 'integer', min: 0, max: 1 },
  { path: 'amount', type: 'fixed', decimals: 2, min: -500, max: 10_000 },
]);

let keys: HeKeySet;
let client: HeClient;
let bare: Uint8Array; // an evaluation bundle WITHOUT Galois keys
let ev: HeEvaluator;

beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  const bundle = await keys.evaluationBundle({ columnSums: false });
  expect(bundle.galoisSteps).toEqual([]);
  bare = await bundle.encode();
  ev = await HeEvaluator.create(await EvaluationBundle.decode(bare));
}, 120_000);
afterAll(() => {
  ev.dispose();
  client.dispose();
  keys.dispose();
});

const total = (ct: HeCiphertext): bigint => client.decryptExact(ct).reduce((a, b) => a + b, 0n);

describe('sumSlots', () => {
  it('good_histogram: 0/1 indicators in several column ciphertexts, summed with additions only, counted by the owner', () => {
    const a = [1, 0, 1, 1, 0];
    const b = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 1 : 0)); // two ciphertexts (4096 slots)
    const cts = [...client.encryptColumn('bin.low', a), ...client.encryptColumn('bin.low', b)];
    expect(cts).toHaveLength(3);
    const r = ev.sumSlots(cts, 'bin.low');
    expect(r.values[0]).toMatchObject({ slot: 0, length: 4096, min: 0n, max: 3n });
    expect(r.count).toBe(5005);
    expect(total(r)).toBe(BigInt(a.filter((x) => x).length + b.filter((x) => x).length));
    expect(() => ev.sum(cts, 'bin.low')).toThrow(/rotation keys/); // the full sum needs Galois keys
  }, 120_000);

  it('good_grouped_sum: fixed-point amounts, negative values and zero padding', () => {
    const x = [12.5, -3.2, 9999.99, 0, 1];
    const y = [-500, 0.01];
    const r = ev.sumSlots([...client.encryptColumn('amount', x), ...client.encryptColumn('amount', y)], 'amount');
    expect(r.values[0]).toMatchObject({ decimals: 2, length: 5, min: -100000n, max: 2000000n });
    const cents = [...x, ...y].reduce((n, v) => n + Math.round(v * 100), 0);
    expect(total(r)).toBe(BigInt(cents));
    expect(client.decrypt(r)).toHaveLength(5);
  }, 120_000);

  it('fail_record_layout and fail_mixed_fields are refused with typed errors', () => {
    const rec = client.encryptRecord({ 'bin.low': 1, amount: 3 });
    expect(() => ev.sumSlots([rec], 'amount')).toThrow(NqcSheError);
    try {
      ev.sumSlots([rec], 'amount');
    } catch (e) {
      expect((e as NqcSheError).code).toBe('ERR_SHE_UNSUPPORTED');
    }
    const mixed = [...client.encryptColumn('amount', [1]), ...client.encryptColumn('bin.low', [1])];
    expect(() => ev.sumSlots(mixed, 'amount')).toThrow(/is not field/);
  }, 120_000);

  it('good_running_sum: an earlier result continued input by input equals one call over all inputs', async () => {
    const cols = [[12.5, -3.2, 9999.99], [0, 1], [-500, 0.01, 7, 8]].map((x) => client.encryptColumn('amount', x)[0]!);
    const once = ev.sumSlots(cols, 'amount');
    let run = ev.sumSlots([cols[0]!], 'amount');
    for (const c of cols.slice(1)) run = ev.sumSlots([run, c], 'amount');
    expect(run.values[0]).toEqual(once.values[0]);
    expect({ count: run.count, path: run.path }).toEqual({ count: once.count, path: once.path });
    expect(total(run)).toBe(total(once));
    expect(total(run)).toBe(BigInt([12.5, -3.2, 9999.99, 0, 1, -500, 0.01, 7, 8].reduce((n, v) => n + Math.round(v * 100), 0)));
    // The worker evaluator passes the earlier result through.
    const w = await HeWorkerEvaluator.create(bare);
    try {
      let wr = await w.sumSlots([cols[0]!], 'amount');
      for (const c of cols.slice(1)) wr = await w.sumSlots([wr, c], 'amount');
      expect(total(wr)).toBe(total(once));
    } finally {
      await w.close();
    }
  }, 120_000);

  it('fail_running_sum: only a slot sum of the same field, first, is accepted back; its bounds add up', () => {
    const col = client.encryptColumn('bin.low', [1, 0, 1])[0]!;
    const r = ev.sumSlots([col], 'bin.low');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as NqcSheError).code;
      }
      return 'no error';
    };
    const amount = client.encryptColumn('amount', [1])[0]!;
    expect(code(() => ev.sumSlots([r, amount], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // another field's slot sum
    expect(code(() => ev.sumSlots([col, r], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // not first
    expect(code(() => ev.sumSlots([r, r], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // one earlier result only
    const s = ev.sum([client.encryptRecord({ 'bin.low': 1, amount: 3 })], 'bin.low');
    expect(code(() => ev.sumSlots([s, col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // a sum is not a slot sum
    // The running bound is the one-call bound: it grows by one input's range per step.
    const big = client.encryptColumn('amount', [10_000, -500])[0]!;
    let run = ev.sumSlots([big], 'amount');
    for (let i = 2; i <= 5; i++) run = ev.sumSlots([run, big], 'amount');
    expect(run.values[0]).toMatchObject({ min: 5n * -50_000n, max: 5n * 1_000_000n, length: 2 });
    expect(run.count).toBe(10);
    expect(total(run)).toBe(5n * (1_000_000n - 50_000n));
  }, 240_000);

  it('fail_running_sum: only the very object an evaluator returned continues (copies, decoded: ERR_SHE_UNSUPPORTED), in-process and worker', async () => {
    const col = client.encryptColumn('bin.low', [1, 0, 1])[0]!;
    const code = async (f: () => unknown): Promise<string> => {
      try {
        await f();
      } catch (e) {
        return e instanceof NqcSheError ? e.code : `untyped ${(e as Error).message}`;
      }
      return 'no error';
    };
    const r = ev.sumSlots([col], 'bin.low');
    expect(Object.isFrozen(r)).toBe(true);
    expect(await code(() => ev.sumSlots([{ ...r }, col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // a copy
    expect(await code(() => ev.sumSlots([decodeCiphertext(encodeCiphertext(r)), col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // decoded
    const w = await HeWorkerEvaluator.create(bare);
    try {
      expect(await code(() => w.sumSlots([{ ...r }, col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED');
      expect(await code(() => w.sumSlots([decodeCiphertext(encodeCiphertext(r)), col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED');
      // The worker continues an in-process result, and the in-process evaluator a worker's.
      const wr = await w.sumSlots([r, col], 'bin.low');
      const both = ev.sumSlots([wr, col], 'bin.low');
      expect(total(both)).toBe(6n);
      expect(both.values[0]).toMatchObject({ min: 0n, max: 3n, length: 3 });
      expect(await code(() => w.sumSlots([{ ...wr, values: [{ ...wr.values[0]!, max: 0n }] }, col], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED'); // narrowed
    } finally {
      await w.close();
    }
  }, 120_000);

  it('runs in the worker evaluator too (a bundle without Galois keys)', async () => {
    const w = await HeWorkerEvaluator.create(bare);
    try {
      const r = await w.sumSlots([...client.encryptColumn('bin.low', [1, 1, 0]), ...client.encryptColumn('bin.low', [0, 1])], 'bin.low');
      expect(total(r)).toBe(3n);
    } finally {
      await w.close();
    }
  }, 120_000);
});
