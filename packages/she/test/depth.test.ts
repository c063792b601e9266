// bfv-n8192 and ckks-n8192: operations with one ciphertext multiplication.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { defineSchema, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, NqcSheError } from '../src/index.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof NqcSheError) return e.code;
    throw e;
  }
  return undefined;
};

describe('bfv-n8192', () => {
  const schema = defineSchema([
    { path: 'qty', type: 'integer', min: 0, max: 1000 },
    { path: 'price', type: 'fixed', decimals: 2, min: 0, max: 5000 },
    { path: 'delta', type: 'integer', min: -1000, max: 1000 },
  ]);
  let keys: HeKeySet;
  let client: HeClient;
  let ev: HeEvaluator;
  beforeAll(async () => {
    keys = await HeKeySet.generate('bfv-n8192');
    client = await HeClient.create(keys, schema);
    const bundle = await keys.evaluationBundle({ schema, recordProducts: [['qty', 'price']] });
    ev = await HeEvaluator.create(await EvaluationBundle.decode(await bundle.encode()));
  }, 120_000); // key generation / sessions: sized for a loaded machine
  afterAll(() => {
    ev.dispose();
    client.dispose();
    keys.dispose();
  });

  it('good_products_sumsq_weighted equal the plaintext computation (column, property)', () => {
    const row = fc.record({ qty: fc.integer({ min: 0, max: 1000 }), cents: fc.integer({ min: 0, max: 500_000 }), delta: fc.integer({ min: -1000, max: 1000 }) });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 9000 }), fc.integer({ min: -5, max: 5 }), (rows, w0) => {
        const qty = client.encryptColumn('qty', rows.map((r) => r.qty));
        const price = client.encryptColumn('price', rows.map((r) => r.cents / 100));
        const delta = client.encryptColumn('delta', rows.map((r) => r.delta));
        const prods = ev.product([...qty, ...price], 'qty', 'price');
        expect(prods.flatMap((p) => client.decryptExact(p))).toEqual(rows.map((r) => BigInt(r.qty * r.cents)));
        const ss = ev.sumOfSquares(delta, 'delta');
        expect(client.decryptExact(ss)).toEqual([rows.reduce((a, r) => a + BigInt(r.delta * r.delta), 0n)]);
        const w = rows.map((_, i) => w0 + (i % 7));
        expect(client.decryptExact(ev.weightedSum(delta, 'delta', w))).toEqual([rows.reduce((a, r, i) => a + BigInt(w[i]! * r.delta), 0n)]);
      }),
      { numRuns: 2 },
    );
  });

  it('good_record_product uses one rotation key and equals the plaintext product', () => {
    const rows = [
      { qty: 3, price: 19.99, delta: -4 },
      { qty: 1000, price: 5000, delta: 1000 },
    ];
    const cts = rows.map((r) => client.encryptRecord(r));
    const prods = ev.product(cts, 'qty', 'price');
    expect(prods.map((p) => client.decrypt(p)[0])).toEqual([59.97, 5_000_000]);
    expect(client.decrypt(ev.sumOfSquares(cts, 'delta'))).toEqual([16 + 1_000_000]);
  });

  it('fail_missing_galois: without the rotation keys, record products and column sums are refused', async () => {
    const bare = await HeEvaluator.create(await keys.evaluationBundle({ columnSums: false }));
    expect(bare.galoisSteps).toEqual([]);
    const cts = [client.encryptRecord({ qty: 1, price: 2, delta: 3 })];
    expect(code(() => bare.product(cts, 'qty', 'price'))).toBe('ERR_SHE_UNSUPPORTED');
    expect(client.decrypt(bare.product(cts, 'delta', 'delta')[0]!)).toEqual([9]); // same slot: no rotation
    expect(code(() => bare.sum(client.encryptColumn('qty', [1, 2]), 'qty'))).toBe('ERR_SHE_UNSUPPORTED');
    expect(client.decrypt(bare.sum(cts, 'qty'))).toEqual([1]); // record sums need no rotation
    bare.dispose();
  });

  it('fail_overflow on products and sums of squares that could exceed t/2', async () => {
    const wide = defineSchema([
      { path: 'x', type: 'integer', min: -(2 ** 29), max: 2 ** 29 },
      { path: 'y', type: 'integer', min: -(2 ** 30), max: 2 ** 30 },
    ]);
    const c = await HeClient.create(keys, wide);
    const xs = c.encryptColumn('x', [2 ** 29, 3]);
    // one square fits (2^58), two could reach 2^59 > (t-1)/2
    expect(c.decryptExact(ev.sumOfSquares(c.encryptColumn('x', [-(2 ** 29)]), 'x'))).toEqual([2n ** 58n]);
    // A column whose metadata understates its content breaks the proof; the owner's bound check trips.
    const lying = xs.map((x) => ({ ...x, count: 1, values: [{ ...x.values[0]!, length: 1 }] }));
    expect(code(() => c.decrypt(ev.sumOfSquares(lying, 'x')))).toBe('ERR_SHE_DECRYPT');
    expect(code(() => ev.sumOfSquares(xs, 'x'))).toBe('ERR_SHE_OVERFLOW');
    expect(c.decryptExact(ev.product(xs, 'x', 'x')[0]!)).toEqual([2n ** 58n, 9n]);
    const ys = c.encryptColumn('y', [2, 5]);
    expect(code(() => ev.product([...xs, ...ys], 'x', 'y'))).toBe('ERR_SHE_OVERFLOW'); // 2^29·2^30 = 2^59
    c.dispose();
  });
});

describe('ckks-n8192', () => {
  const schema = defineSchema([
    { path: 'temp', type: 'real', min: -100, max: 100 },
    { path: 'dose', type: 'real', min: 0, max: 10 },
  ]);
  let keys: HeKeySet;
  let client: HeClient;
  let ev: HeEvaluator;
  beforeAll(async () => {
    keys = await HeKeySet.generate('ckks-n8192');
    client = await HeClient.create(keys, schema);
    ev = await HeEvaluator.create(await keys.evaluationBundle({ schema, recordProducts: [['temp', 'dose']] }));
  }, 120_000); // key generation / sessions: sized for a loaded machine
  afterAll(() => {
    ev.dispose();
    client.dispose();
    keys.dispose();
  });
  // Stated error bound (README): |error| <= 2^-20 · count · max(1, bound of one term).
  const tol = (n: number, m: number): number => 2 ** -20 * n * Math.max(1, m);
  const real = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });

  it('good_ckks_column sum, mean, weighted sum, sum of squares, products within the stated error (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(real(-100, 100), real(0, 10)), { minLength: 1, maxLength: 6000 }), (rows) => {
        const t = rows.map((r) => r[0]);
        const d = rows.map((r) => r[1]);
        const ct = client.encryptColumn('temp', t);
        const cd = client.encryptColumn('dose', d);
        const n = rows.length;
        const sum = t.reduce((a, b) => a + b, 0);
        expect(Math.abs(client.decrypt(ev.sum(ct, 'temp'))[0]! - sum)).toBeLessThan(tol(n, 100));
        expect(Math.abs(client.decryptMean(ev.mean(ct, 'temp')) - sum / n)).toBeLessThan(tol(n, 100) / n);
        const w = d.map((x) => x / 3 - 1);
        const ws = t.reduce((a, x, i) => a + w[i]! * x, 0);
        expect(Math.abs(client.decrypt(ev.weightedSum(ct, 'temp', w))[0]! - ws)).toBeLessThan(tol(n, 300));
        const ss = t.reduce((a, x) => a + x * x, 0);
        expect(Math.abs(client.decrypt(ev.sumOfSquares(ct, 'temp'))[0]! - ss)).toBeLessThan(tol(n, 10_000));
        const prods = ev.product([...ct, ...cd], 'temp', 'dose').flatMap((p) => client.decrypt(p));
        prods.forEach((p, i) => expect(Math.abs(p - t[i]! * d[i]!)).toBeLessThan(tol(1, 1000)));
      }),
      { numRuns: 2 },
    );
  });

  it('good_ckks_record sum and product', () => {
    const rows = [
      { temp: 36.6, dose: 2.5 },
      { temp: -12.25, dose: 0.125 },
    ];
    const cts = rows.map((r) => client.encryptRecord(r));
    expect(Math.abs(client.decrypt(ev.sum(cts, 'temp'))[0]! - 24.35)).toBeLessThan(tol(2, 100));
    const p = ev.product(cts, 'temp', 'dose').map((x) => client.decrypt(x)[0]!);
    expect(Math.abs(p[0]! - 91.5)).toBeLessThan(tol(1, 1000));
    expect(Math.abs(p[1]! + 1.53125)).toBeLessThan(tol(1, 1000));
  });

  it('fail_ckks_overflow: results beyond the level budget are refused', async () => {
    const huge = defineSchema([{ path: 'h', type: 'real', min: -(2 ** 40), max: 2 ** 40 }]);
    const c = await HeClient.create(keys, huge);
    const cols = c.encryptColumn('h', [1, 2]);
    expect(code(() => ev.sumOfSquares(cols, 'h'))).toBe('ERR_SHE_OVERFLOW');
    expect(Math.abs(c.decrypt(ev.sum(cols, 'h'))[0]! - 3)).toBeLessThan(1e-3);
    c.dispose();
  });
});
