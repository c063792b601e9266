// sumGroup in constant memory: envelopes are read one at a time and folded into one running
// ciphertext per group key. Shown with an evaluator spy (how many ciphertexts each call gets, how
// many envelopes were read when it is called), never with timings or heap sizes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeCiphertext, EvaluationBundle, HeEvaluator, type HeCiphertext } from '@nqc/she';
import { generateSigningKey } from '@nqc/core/node';
import { BANK_FIELDS, CATEGORIES, CATEGORY_SUMS, encodeTransaction, makeTransactions, type Transaction } from '../src/bank.js';
import { sumGroup, type SlotEvaluator } from '../src/aggregates/slots.js';
import { makeOwner, type Owner } from './fixture.js';

const N = 12; // envelopes
let bank: Owner;
let branch: ReturnType<typeof generateSigningKey>;
let ev: HeEvaluator;
const envelopes: Uint8Array[] = [];
const batches: Transaction[][] = [];

beforeAll(async () => {
  bank = await makeOwner(BANK_FIELDS);
  branch = generateSigningKey();
  ev = await HeEvaluator.create(await EvaluationBundle.decode(bank.bundle));
  for (let i = 0; i < N; i++) {
    const t = makeTransactions(4, 100 + i);
    batches.push(t);
    envelopes.push(await bank.seal(t.map(encodeTransaction), i % 3 === 0 ? branch : bank.signer));
  }
}, 240_000);
afterAll(() => {
  ev?.dispose();
  bank?.keys.dispose();
});

describe('sumGroup streams', () => {
  it(`${N} envelopes: each sumSlots call gets at most 2 ciphertexts (the running sum and one column), the store is read one envelope ahead`, async () => {
    let read = 0;
    async function* store() {
      for (const e of envelopes) {
        read++;
        yield e;
      }
    }
    const calls: { inputs: number; read: number; running: number }[] = [];
    const spy: SlotEvaluator = {
      sumSlots(inputs: readonly HeCiphertext[], path: string) {
        calls.push({ inputs: inputs.length, read, running: inputs.filter((c) => c.kind === 'result').length });
        return ev.sumSlots(inputs, path);
      },
    };
    const writers = [bank.signer.verifyingKey().toString(), branch.verifyingKey().toString()];
    const answer = await sumGroup(store(), CATEGORY_SUMS.name, writers, spy);

    // The old code held every envelope's columns and called sumSlots once per key with N inputs, after reading all N.
    expect(Math.max(...calls.map((c) => c.inputs))).toBeLessThanOrEqual(2);
    expect(calls.every((c, i) => c.read === Math.floor(i / CATEGORIES.length) + 1)).toBe(true);
    expect(calls.filter((c) => c.running === 1)).toHaveLength((N - 1) * CATEGORIES.length);
    expect(answer.parts).toHaveLength(CATEGORIES.length);

    // The running sums decrypt to the plaintext, and the signers are counted.
    const all = batches.flat();
    for (const p of answer.parts) {
      const ct = decodeCiphertext(new Uint8Array(Buffer.from(p.ciphertext, 'base64')));
      expect(ct.count).toBe(all.length);
      const cents = Number(bank.he.decryptExact(ct).reduce((a, b) => a + b, 0n));
      expect(cents).toBe(all.filter((t) => t.category === p.key).reduce((n, t) => n + Math.round(t.amount * 100), 0));
    }
    expect(answer.envelopes).toBe(N);
    expect(answer.signedBy).toEqual({ [writers[0]!]: N - N / 3, [writers[1]!]: N / 3 });
  }, 240_000);
});
