import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { defineSchema, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, NqcSheError, decodeCiphertext, encodeCiphertext, type HeCiphertext } from '../src/index.js';

const schema = defineSchema([
  { path: 'age', type: 'integer', min: 0, max: 130 },
  { path: 'amount', type: 'fixed', decimals: 2, min: -10_000, max: 10_000 },
  { path: 'score', type: 'integer', min: -50, max: 50 },
]);

let keys: HeKeySet;
let client: HeClient;
let ev: HeEvaluator;

beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  const bundle = await EvaluationBundle.decode(await (await keys.evaluationBundle()).encode());
  ev = await HeEvaluator.create(bundle);
}, 120_000); // key generation / sessions: sized for a loaded machine
afterAll(() => {
  ev.dispose();
  client.dispose();
  keys.dispose();
});

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof NqcSheError) return e.code;
    throw e;
  }
  return undefined;
};

describe('bfv-n4096', () => {
  it('good_column_sum_mean equal the plaintext computation (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 9000 }), (cents) => {
        const amounts = cents.map((c) => c / 100);
        const cols = client.encryptColumn('amount', amounts).map((c) => decodeCiphertext(encodeCiphertext(c)));
        const sum = ev.sum(cols, 'amount');
        const exact = cents.reduce((a, b) => a + BigInt(b), 0n);
        expect(client.decryptExact(sum)).toEqual([exact]);
        const m = ev.mean(cols, 'amount');
        expect(m.count).toBe(cents.length);
        expect(client.decryptMean(m)).toBeCloseTo(Number(exact) / 100 / cents.length, 9);
      }),
      { numRuns: 4 },
    );
  });

  it('good_record_sum equals the plaintext computation (property)', () => {
    const rec = fc.record({ age: fc.integer({ min: 0, max: 130 }), amount: fc.integer({ min: -1e6, max: 1e6 }).map((c) => c / 100), score: fc.integer({ min: -50, max: 50 }) });
    fc.assert(
      fc.property(fc.array(rec, { minLength: 1, maxLength: 20 }), (rows) => {
        const cts = rows.map((r, i) => decodeCiphertext(encodeCiphertext(client.encryptRecord(r, { path: `rows/${i}` }))));
        expect(client.decryptRecord(cts[0]!)).toEqual(rows[0]);
        for (const f of ['age', 'score'] as const) {
          expect(client.decrypt(ev.sum(cts, f))).toEqual([rows.reduce((a, r) => a + r[f], 0)]);
        }
        const cents = rows.reduce((a, r) => a + BigInt(Math.round(r.amount * 100)), 0n);
        expect(client.decryptExact(ev.sum(cts, 'amount'))).toEqual([cents]);
        const w = rows.map((_, i) => (i % 3) - 1);
        expect(client.decrypt(ev.weightedSum(cts, 'score', w))).toEqual([rows.reduce((a, r, i) => a + w[i]! * r.score, 0)]);
      }),
      { numRuns: 3 },
    );
  });

  it('fail_overflow: a sum that could exceed the plain modulus is refused', () => {
    const big = defineSchema([{ path: 'x', type: 'integer', min: 0, max: 2 ** 37 }]);
    return HeClient.create(keys, big).then((c) => {
      const cols = c.encryptColumn('x', [1, 2, 3]);
      expect(client.decrypt(ev.sum(cols, 'x'))).toEqual([6]);
      // 4 records could sum to 4·2^37 = 2^39 > (t-1)/2: refused before computing
      const cols4 = c.encryptColumn('x', [1, 2, 3, 4]);
      expect(code(() => ev.sum(cols4, 'x'))).toBe('ERR_SHE_OVERFLOW');
      c.dispose();
    });
  });

  it('fail_range and fail_noise_budget', () => {
    expect(code(() => client.encryptColumn('age', [131]))).toBe('ERR_SHE_RANGE');
    expect(code(() => client.encryptColumn('amount', [0.001]))).toBe('ERR_SHE_RANGE');
    const cols = client.encryptColumn('score', [1, 2, 3]);
    expect(code(() => ev.weightedSum(cols, 'score', [1, 2, 3]))).toBe('ERR_SHE_NOISE_BUDGET');
    expect(code(() => ev.sumOfSquares(cols, 'score'))).toBe('ERR_SHE_UNSUPPORTED');
  });

  it('noise model: measured fresh budget is at least the preset figure', () => {
    const [c] = client.encryptColumn('age', [1]);
    expect(client.noiseBudget(c!)).toBeGreaterThanOrEqual(keys.preset.freshNoiseBudget);
    const s = ev.sum(client.encryptColumn('age', Array(4096 * 3).fill(130)), 'age');
    expect(client.noiseBudget(s)).toBeGreaterThan(0);
    expect(client.decrypt(s)).toEqual([130 * 4096 * 3]);
  });
});
void ({} as HeCiphertext);
