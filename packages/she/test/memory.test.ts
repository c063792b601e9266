// 20,000 encrypt/add/free cycles through the public API: resident memory must stay flat.
// SEAL objects live in the WASM heap, which never shrinks: one forgotten .delete() per cycle would
// grow it by at least one ciphertext (32 KiB here) per cycle, i.e. >= 560 MiB over the run.
import { describe, it, expect } from '@jest/globals';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { defineSchema, HeClient, HeEvaluator, HeKeySet, type HePreset } from '../src/index.js';
import { _registerTestPreset } from '../src/params.js';

// A small preset so that the 20,000 cycles take seconds (N=2048, q = one 54-bit prime: within SEAL's
// 128-bit bound, no key switching, fresh noise budget 29 bits; test-only).
const tiny: HePreset = {
  id: 'nqc-she/test/bfv-n2048',
  name: 'bfv-n2048-test' as HePreset['name'],
  scheme: 'bfv',
  polyModulusDegree: 2048,
  coeffModulusBits: [54],
  plainModulus: 1032193n,
  scaleBits: 0,
  dataLevels: 1,
  slots: 2048,
  multDepth: 0,
  freshNoiseBudget: 27,
};
_registerTestPreset(tiny);

// jest does not expose gc(); this is the documented V8 way to get it at run time.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rss = (): number => {
  gc();
  return process.memoryUsage().rss;
};

describe('memory', () => {
  it('stays flat over 20,000 encrypt/add/free cycles', async () => {
    const keys = await HeKeySet.generate(tiny);
    const schema = defineSchema([{ path: 'x', type: 'integer', min: 0, max: 9 }]);
    const client = await HeClient.create(keys, schema);
    const ev = await HeEvaluator.create(await keys.evaluationBundle({ columnSums: false }));
    // One cycle: encrypt a record (SEAL plaintext + seeded ciphertext, freed), then the evaluator
    // loads it, adds it into the running sum and frees it. Sums are cut every 500 records.
    const batch = (from: number): void => {
      const cts = [];
      let expected = 0;
      for (let i = from; i < from + 500; i++) {
        cts.push(client.encryptRecord({ x: i % 10 }));
        expected += i % 10;
      }
      expect(client.decrypt(ev.sum(cts, 'x'))).toEqual([expected]);
    };
    for (let i = 0; i < 2000; i += 500) batch(i); // warm-up: pools, JIT, WASM heap high-water mark
    const before = rss();
    for (let i = 2000; i < 20_000; i += 500) batch(i);
    const growth = rss() - before;
    const leakFloor = 18_000 * 32 * 1024; // one leaked N=2048 ciphertext (2 × 2048 × 8 bytes) per cycle
    console.log(
      `memory: RSS growth over 18,000 cycles = ${(growth / 2 ** 20).toFixed(1)} MiB (a one-ciphertext-per-cycle leak would be >= ${(leakFloor / 2 ** 20).toFixed(0)} MiB)`,
    );
    expect(growth).toBeLessThan(leakFloor / 24);
    ev.dispose();
    client.dispose();
    keys.dispose();
  }, 120_000);
});
