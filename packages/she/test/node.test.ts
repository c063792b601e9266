// @nqc/she/node: the evaluator in a worker thread, restarted after a fatal failure.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineSchema, EvaluationBundle, HeClient, HeKeySet, isSealPoisoned, NqcSheError } from '../src/index.js';
import { HeWorkerEvaluator } from '../src/node.js';

const schema = defineSchema([{ path: 'n', type: 'integer', min: 0, max: 1000 }]);
let keys: HeKeySet;
let client: HeClient;
let ev: HeWorkerEvaluator;

beforeAll(async () => {
  // The worker runs the built JavaScript (dist/worker.js); build it if this checkout has not.
  if (!existsSync(new URL('../dist/worker.js', import.meta.url))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: new URL('..', import.meta.url) });
  }
  keys = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  ev = await HeWorkerEvaluator.create(await (await keys.evaluationBundle()).encode());
}, 60_000);
afterAll(async () => {
  await ev.close();
  client.dispose();
  keys.dispose();
}, 180_000); // key generation / sessions: sized for a loaded machine

describe('HeWorkerEvaluator', () => {
  it('good_worker_sum equals the plaintext sum', async () => {
    const vals = Array.from({ length: 5000 }, (_, i) => i % 1001);
    const cols = client.encryptColumn('n', vals);
    expect(client.decrypt(await ev.sum(cols, 'n'))).toEqual([vals.reduce((a, b) => a + b, 0)]);
    expect(client.decryptMean(await ev.mean(cols, 'n'))).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / 5000, 9);
    expect(await ev.count(cols)).toBe(5000);
  });

  it('fail_typed errors cross the thread boundary with their code', async () => {
    const cols = client.encryptColumn('n', [1]);
    await expect(ev.sumOfSquares(cols, 'n')).rejects.toMatchObject({ code: 'ERR_SHE_UNSUPPORTED' });
    await expect(HeWorkerEvaluator.create(await keys.encode())).rejects.toMatchObject({ code: 'ERR_SHE_KEY_KIND' });
  });

  it('fail_crash: a dying worker rejects with ERR_SHE_SEAL_FATAL and is restarted', async () => {
    const cols = client.encryptColumn('n', [7, 8]);
    const before = ev.restarts;
    const pending = ev.sum(cols, 'n');
    await ev._crashForTest();
    const r = await pending.then(
      (x) => x,
      (e: unknown) => e,
    );
    // the sum may have finished before the crash message arrived; either way the next call works
    if (r instanceof NqcSheError) expect(r.code).toBe('ERR_SHE_SEAL_FATAL');
    await new Promise((res) => setTimeout(res, 200));
    expect(client.decrypt(await ev.sum(cols, 'n'))).toEqual([15]);
    expect(ev.restarts).toBe(before + 1);
  });

  it('fail_abort: a crafted bundle (valid checksum) that aborts SEAL fails in the worker; this thread\'s SEAL stays usable', async () => {
    // Relinearisation keys whose zstd body (one raw block) asks KSwitchKeys to reserve ~4 GiB.
    const inner = new Uint8Array(40);
    new DataView(inner.buffer).setBigUint64(32, 357_913_941n, true);
    const block = (inner.length << 3) | 1;
    const z = [0x28, 0xb5, 0x2f, 0xfd, 0x20, inner.length, block & 255, (block >> 8) & 255, block >> 16, ...inner];
    const rk = new Uint8Array(16 + z.length);
    rk.set([0x5e, 0xa1, 0x10, 4, 1, 2], 0);
    new DataView(rk.buffer).setBigUint64(8, BigInt(rk.length), true);
    rk.set(z, 16);
    const good = await keys.evaluationBundle({ columnSums: false });
    const crafted = await EvaluationBundle._create(good.preset, good.keyId, good.publicKey, rk, [], undefined).encode();
    await expect(HeWorkerEvaluator.create(crafted)).rejects.toMatchObject({ code: 'ERR_SHE_SEAL_FATAL' });
    expect(isSealPoisoned()).toBe(false);
    const fresh = await HeWorkerEvaluator.create(await good.encode());
    expect(client.decrypt(await fresh.sum([client.encryptRecord({ n: 2 }), client.encryptRecord({ n: 3 })], 'n'))).toEqual([5]);
    await fresh.close();
  }, 120_000);
});
