// Running sums: `sum` and `mean` continue an earlier `sum` result (passed first), so a server keeps
// one ciphertext however many inputs it folds in. Same answer, bounds, overflow and noise checks as
// one call over all the inputs, in the in-process and the worker evaluator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeCiphertext, defineSchema, encodeCiphertext, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, NqcSheError, type HeCiphertext } from '../src/index.js';
import { HeWorkerEvaluator } from '../src/node.js';

// bfv-n4096: t = 1099511480321, results must lie in ±(t-1)/2 = ±549755740160.
const BIG = 100_000_000_000;
const schema = defineSchema([
  { path: 'amount', type: 'fixed', decimals: 2, min: -500, max: 10_000 },
  { path: 'big', type: 'integer', min: 0, max: BIG },
  { path: 'n', type: 'integer', min: 0, max: 9 },
]);

let keys: HeKeySet;
let client: HeClient;
let bundle: Uint8Array;
let ev: HeEvaluator;

beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  bundle = await (await keys.evaluationBundle()).encode();
  ev = await HeEvaluator.create(await EvaluationBundle.decode(bundle));
}, 180_000);
afterAll(() => {
  ev.dispose();
  client.dispose();
  keys.dispose();
});

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof NqcSheError ? e.code : `untyped ${(e as Error).message}`;
  }
  return 'no error';
};
const value = (ct: HeCiphertext): bigint => client.decryptExact(ct)[0]!;
/** Deterministic pseudo-random numbers (xorshift32) so that a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}
/** Folds `cts` in batches of `size`, the running result first. */
function folded(cts: readonly HeCiphertext[], path: string, size: number): HeCiphertext {
  let run: HeCiphertext | undefined;
  for (let i = 0; i < cts.length; i += size) run = ev.sum(run ? [run, ...cts.slice(i, i + size)] : cts.slice(i, i + size), path);
  return run!;
}

describe('sum: running sums', () => {
  it('good_running_sum: random counts and batch boundaries (incl. exactly one batch and batch+1) equal one call, record and column layout', () => {
    const r = rng(0x5eed);
    const size = 4;
    for (const n of [1, size - 1, size, size + 1, 2 * size, 2 * size + 1, 1 + Math.floor(r() * 13)]) {
      const vals = Array.from({ length: n }, () => Math.round((r() * 10_500 - 500) * 100) / 100);
      const records = vals.map((v, i) => client.encryptRecord({ amount: v, big: i, n: i % 10 }));
      const columns = vals.map((v) => client.encryptColumn('amount', [v, 1, -2.5])[0]!);
      for (const [cts, per] of [
        [records, 1],
        [columns, 3],
      ] as const) {
        const once = ev.sum(cts, 'amount');
        const run = folded(cts, 'amount', size);
        expect(value(run)).toBe(value(once));
        expect(run.values).toEqual(once.values);
        expect({ count: run.count, path: run.path, layout: run.layout, op: run.op }).toEqual({ count: n * per, path: 'sum(amount)', layout: cts[0]!.layout, op: 'sum' });
        const mean = ev.mean([run, cts[0]!], 'amount');
        const mOnce = ev.mean([...cts, cts[0]!], 'amount');
        expect(mean.count).toBe(mOnce.count);
        expect(value(mean.sum)).toBe(value(mOnce.sum));
        expect(client.decryptMean(mean)).toBeCloseTo(client.decryptMean(mOnce), 9);
      }
      const exact = vals.reduce((a, v) => a + BigInt(Math.round(v * 100)), 0n);
      expect(value(folded(records, 'amount', size))).toBe(exact);
      expect(value(folded(columns, 'amount', size))).toBe(exact * 1n + BigInt(n) * (100n - 250n));
    }
  }, 600_000);

  it('fail_overflow: refused (ERR_SHE_OVERFLOW) at the same total as one call', () => {
    // 5 × BIG fits, 6 × BIG does not: (t-1)/2 ≈ 5.497 × BIG.
    const cts = Array.from({ length: 6 }, () => client.encryptColumn('big', [BIG])[0]!);
    expect(code(() => ev.sum(cts.slice(0, 5), 'big'))).toBe('no error');
    expect(code(() => ev.sum(cts, 'big'))).toBe('ERR_SHE_OVERFLOW');
    const five = folded(cts.slice(0, 5), 'big', 2);
    expect(value(five)).toBe(5n * BigInt(BIG));
    expect(code(() => ev.sum([five, cts[5]!], 'big'))).toBe('ERR_SHE_OVERFLOW');
    expect(code(() => ev.mean([five, cts[5]!], 'big'))).toBe('ERR_SHE_OVERFLOW');
  }, 300_000);

  it('fail_noise: the noise check counts input ciphertexts folded in, as one call does (not records, not batches)', () => {
    // bfv-n4096 column sums: 25 - ceil(log2 k) - (12 + 3) >= 2 allows k <= 256 ciphertexts.
    const col = client.encryptColumn('n', [1, 2, 3])[0]!;
    const cts = Array.from({ length: 257 }, () => col);
    expect(code(() => ev.sum(cts.slice(0, 256), 'n'))).toBe('no error');
    expect(code(() => ev.sum(cts, 'n'))).toBe('ERR_SHE_NOISE_BUDGET');
    const run = folded(cts.slice(0, 256), 'n', 32); // 768 records, 256 ciphertexts, 8 rotations
    expect(run.count).toBe(768);
    expect(value(run)).toBe(256n * 6n);
    expect(code(() => ev.sum([run, col], 'n'))).toBe('ERR_SHE_NOISE_BUDGET');
  }, 600_000);

  it('fail_feedback: only the very sum object an evaluator returned, first, same field and layout, is continued', () => {
    const rec = client.encryptRecord({ amount: 1, big: 2, n: 3 });
    const col = client.encryptColumn('amount', [1])[0]!;
    const r = ev.sum([rec], 'amount');
    expect(code(() => ev.sum([{ ...r }, rec], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // a copy
    expect(code(() => ev.sum([decodeCiphertext(encodeCiphertext(r)), rec], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // from bytes
    expect(code(() => ev.sum([{ ...r, count: 1, values: [{ ...r.values[0]!, max: 0n }] }, rec], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // edited
    expect(code(() => ev.sum([rec, r], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // not first
    expect(code(() => ev.sum([r, r, rec], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // one earlier result only
    expect(code(() => ev.sum([r, rec], 'n'))).toBe('ERR_SHE_UNSUPPORTED'); // another field's sum
    expect(code(() => ev.sum([r, col], 'amount'))).toBe('ERR_SHE_INPUT'); // layouts mixed, as in one call
    expect(code(() => ev.sum([r], 'amount'))).toBe('ERR_SHE_INPUT'); // nothing new to add
    const slots = ev.sumSlots([col], 'amount');
    expect(code(() => ev.sum([slots, col], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // a slot sum is not a sum
    expect(code(() => ev.sumOfSquares([r, rec], 'amount'))).toBe('ERR_SHE_UNSUPPORTED'); // other operations: as before
    expect(code(() => ev.count([r]))).toBe('ERR_SHE_UNSUPPORTED');
  }, 300_000);

  it('good_worker: the worker evaluator continues its own sums (encoded across the thread) and equals one call', async () => {
    const w = await HeWorkerEvaluator.create(bundle);
    try {
      const cts = [3.25, -1, 9999.99, 0.01, 7].map((v) => client.encryptColumn('amount', [v, v])[0]!);
      const once = ev.sum(cts, 'amount');
      let run = await w.sum(cts.slice(0, 2), 'amount');
      run = await w.sum([run, ...cts.slice(2, 4)], 'amount');
      const mean = await w.mean([run, cts[4]!], 'amount');
      expect(value(mean.sum)).toBe(value(once));
      expect(mean.sum.values).toEqual(once.values);
      expect(mean.count).toBe(10);
      // A result the worker did not return (decoded from bytes) is refused there too.
      await expect(w.sum([decodeCiphertext(encodeCiphertext(run)), cts[0]!], 'amount')).rejects.toMatchObject({ code: 'ERR_SHE_UNSUPPORTED' });
      // Its results and the in-process evaluator's are interchangeable within this process.
      expect(value(ev.sum([run, cts[4]!], 'amount'))).toBe(value(once));
      expect(value(await w.sum([ev.sum(cts.slice(0, 4), 'amount'), cts[4]!], 'amount'))).toBe(value(once));
      // Overflow still refused at the same total.
      const big = Array.from({ length: 6 }, () => client.encryptColumn('big', [BIG])[0]!);
      let b = await w.sum(big.slice(0, 3), 'big');
      b = await w.sum([b, ...big.slice(3, 5)], 'big');
      await expect(w.sum([b, big[5]!], 'big')).rejects.toMatchObject({ code: 'ERR_SHE_OVERFLOW' });
    } finally {
      await w.close();
    }
  }, 300_000);
});
