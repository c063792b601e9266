// Security review of the sumSlots continuation (running slot sums, today's change). Each finding is
// an `it.failing` test naming it (S1, S2) until fixed; both fixed (results continuable only as the object an evaluator of this process returned, _running.ts registry), now plain tests.
// Checks found sound are plain `it` tests.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineSchema, EvaluationBundle, HeClient, HeEvaluator, HeKeySet, NqcSheError, type HeCiphertext } from '../src/index.js';

// bfv-n4096: plain modulus t = 1099511480321, results must lie in ±(t-1)/2 = ±549755740160.
const BIG = 400_000_000_000;
const schema = defineSchema([
  { path: 'big', type: 'integer', min: 0, max: BIG },
  { path: 'bin.low', type: 'integer', min: 0, max: 1 },
]);

let keys: HeKeySet;
let client: HeClient;
let ev: HeEvaluator;

beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  ev = await HeEvaluator.create(await EvaluationBundle.decode(await (await keys.evaluationBundle({ columnSums: false })).encode()));
}, 120_000);
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
const total = (ct: HeCiphertext): bigint => client.decryptExact(ct).reduce((a, b) => a + b, 0n);
/** The same result with its (unauthenticated) value metadata changed. */
const withBounds = (r: HeCiphertext, min: bigint, max: bigint): HeCiphertext => ({ ...r, values: [{ ...r.values[0]!, min, max }] });

describe('sumSlots running sums: the earlier result', () => {
  it('an honest continuation that would overflow is refused (ERR_SHE_OVERFLOW), as one call is', () => {
    const a = client.encryptColumn('big', [BIG])[0]!;
    const b = client.encryptColumn('big', [BIG])[0]!;
    expect(code(() => ev.sumSlots([a, b], 'big'))).toBe('ERR_SHE_OVERFLOW');
    const r = ev.sumSlots([a], 'big');
    expect(code(() => ev.sumSlots([r, b], 'big'))).toBe('ERR_SHE_OVERFLOW');
  }, 120_000);

  it('an earlier result of another field, type, or not first, is refused (typed)', () => {
    const a = client.encryptColumn('big', [1])[0]!;
    const bin = client.encryptColumn('bin.low', [1])[0]!;
    const r = ev.sumSlots([a], 'big');
    expect(code(() => ev.sumSlots([r, bin], 'bin.low'))).toBe('ERR_SHE_UNSUPPORTED');
    expect(code(() => ev.sumSlots([a, r], 'big'))).toBe('ERR_SHE_UNSUPPORTED');
    expect(code(() => ev.sumSlots([{ ...r, values: [{ ...r.values[0]!, type: 'fixed', decimals: 2 }] }, a], 'big'))).toMatch(/ERR_SHE_(SCHEMA|FORMAT)/);
    expect(code(() => ev.sumSlots([{ ...r, count: 0 }, a], 'big'))).toBe('ERR_SHE_FORMAT'); // count spoofed to 0
  }, 120_000);

  // S1 (medium): the earlier result's bounds are taken on trust and added to the new inputs'
  // bounds. A result claiming NEGATIVE bounds (min = max = -BIG, which no slot sum can have: its
  // bounds always contain 0) cancels the new inputs' upper bound, so a continuation whose true
  // sum is 2·BIG > (t-1)/2 passes the overflow check and wraps mod t: it decrypts to
  // 2·BIG - t, wrong, without any error. Whoever hands a running sum back (a cache, a store
  // holding ciphertexts, a job row) defeats ERR_SHE_OVERFLOW. Fix: refuse an earlier result whose
  // bounds do not contain 0 (min <= 0 <= max), or better authenticate results (S2).
  it('S1: an earlier result with bounds that exclude 0 cannot hide an overflow', () => {
    const a = client.encryptColumn('big', [BIG])[0]!;
    const b = client.encryptColumn('big', [BIG])[0]!;
    const forged = withBounds(ev.sumSlots([a], 'big'), BigInt(-BIG), BigInt(-BIG));
    let out: HeCiphertext | undefined;
    const c = code(() => (out = ev.sumSlots([forged, b], 'big')));
    if (out) expect(total(out)).toBe(2n * BigInt(BIG)); // shows the wrap: 2·BIG - t
    expect(c).toMatch(/^ERR_SHE_/);
  }, 120_000);

  // S2 (low): "this is the only result an operation accepts back" is not enforced: a result's
  // metadata (min, max, count, length) is unauthenticated, so an earlier result that really holds
  // BIG but claims bounds [0, 0] is accepted, and the next input's overflow goes unnoticed.
  // sumSlots cannot tell its own results from edited ones. Fix: tag results with a MAC under a key
  // held by the evaluator (random per HeEvaluator / worker), over the encoded metadata and
  // ciphertext, and accept back only results whose tag verifies (constant-time).
  it('S2: an earlier result whose bounds were narrowed after sumSlots made it is refused', () => {
    const a = client.encryptColumn('big', [BIG])[0]!;
    const b = client.encryptColumn('big', [BIG])[0]!;
    const forged = withBounds(ev.sumSlots([a], 'big'), 0n, 0n);
    expect(code(() => ev.sumSlots([forged, b], 'big'))).toMatch(/^ERR_SHE_/);
  }, 120_000);
});
