// Review findings of the ONNX backends (2026-12-02), v1 and v2 (test/interop/review.test.ts holds the
// first v2 ones): inputs are read at call time, results are exact-size buffers, the model's padded
// output and the worker's copies of the weights are wiped, whatever happens.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createOnnxBackend, createOnnxBackendV2, referenceBackend, referenceBackendV2, type NdeBackend } from '../src/node.js';
import { _deriveParams, _wipeParams } from '../src/derive.js';
import { _deriveParamsV2, _wipeParamsV2 } from '../src/v2/derive.js';
import { _packJob, _unpackJob } from '../src/onnx/job.js';
import { _packJobV2, _unpackJobV2 } from '../src/onnx/v2/job.js';
import { _loadOrt, _MODEL_PATH } from '../src/onnx/runtime.js';
import { _MODEL_V2_PATH } from '../src/onnx/v2/runtime.js';
import { runPosted, SESSION_OPTIONS } from '../worker/onnx-session.mjs';
import { testBytes } from './helpers.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 5) & 0xff);
const salt = new TextEncoder().encode('nde onnx review');
const plain = testBytes(1000, 11);
/** Over 1 MiB: the segmented path (1 MiB segments), whose later segments run after several awaits. */
const long = testBytes((1 << 20) + 3000, 12);

type Backend = NdeBackend & { ready(): Promise<void> };
let v1: Backend;
let v1Pool: Backend;
let v2: Backend;
let v2Pool: Backend;
beforeAll(async () => {
  v1 = createOnnxBackend({ workers: 0 });
  v1Pool = createOnnxBackend({ workers: 1 });
  v2 = createOnnxBackendV2({ workers: 0 });
  v2Pool = createOnnxBackendV2({ workers: 1 });
  await Promise.all([v1.ready(), v1Pool.ready(), v2.ready(), v2Pool.ready()]);
}, 300_000); // sessions and self-tests on a loaded machine
afterAll(async () => {
  await Promise.all([v1.close(), v1Pool.close(), v2.close(), v2Pool.close()]);
});

const backends = (): [string, Backend][] => [
  ['v1 inline', v1],
  ['v1 pool', v1Pool],
  ['v2 inline', v2],
  ['v2 pool', v2Pool],
];
const names = backends().map(([n]) => [n] as [string]);
const byName = (name: string): Backend => new Map(backends()).get(name)!;
const referenceOf = (name: string): NdeBackend => (name.startsWith('v1') ? referenceBackend : referenceBackendV2);

const hash = (b: Uint8Array): string => bytesToHex(sha256(b));

/** Calls the backend, then overwrites the caller's key, salt and chunks before awaiting (a caller recycling its buffers). */
async function callThenWipe(b: NdeBackend, data: readonly Uint8Array[], decrypt = false): Promise<string[]> {
  const k = new Uint8Array(key);
  const s = new Uint8Array(salt);
  const ds = data.map((d) => new Uint8Array(d));
  const items = ds.map((d, i) => ({ index: 7 + i, data: d }));
  const p = decrypt ? b.decryptChunks(k, s, items) : b.encryptChunks(k, s, items);
  k.fill(0);
  s.fill(0);
  for (const d of ds) d.fill(0xa5);
  return (await p).map(hash);
}

describe('finding 1: key, salt and chunks are read when the call is made', () => {
  it.each(names)('%s: short chunks, encrypt and decrypt, give the reference bytes though the caller wipes its buffers', async (name) => {
    const b = byName(name);
    const data = [plain, plain.subarray(0, 513), plain.subarray(0, 1)];
    const items = data.map((d, i) => ({ index: 7 + i, data: d }));
    const want = await referenceOf(name).encryptChunks(key, salt, items);
    expect(await callThenWipe(b, data)).toEqual(want.map(hash));
    expect(await callThenWipe(b, want, true)).toEqual(data.map(hash));
  }, 120_000);
  it.each(names)('%s: a segmented chunk (over 1 MiB) too, whose later segments run after several awaits', async (name) => {
    const b = byName(name);
    const [want] = await b.encryptChunks(key, salt, [{ index: 7, data: long }]);
    expect(await callThenWipe(b, [long])).toEqual([hash(want!)]);
    expect(await callThenWipe(b, [want!], true)).toEqual([hash(long)]);
  }, 240_000);
});

describe('finding 2: results are buffers of exactly the chunk (no keystream in their ArrayBuffer)', () => {
  const exact = (r: Uint8Array): boolean => r.byteOffset === 0 && r.byteLength === r.buffer.byteLength;
  it.each(names)('%s: one chunk of 1 byte, encrypted and decrypted; several chunks', async (name) => {
    const b = byName(name);
    const [ct] = await b.encryptChunks(key, salt, [{ index: 0, data: new Uint8Array(1) }]);
    const [pt] = await b.decryptChunks(key, salt, [{ index: 0, data: ct! }]);
    expect([ct!.buffer.byteLength, pt!.buffer.byteLength]).toEqual([1, 1]);
    const several = await b.encryptChunks(key, salt, [
      { index: 0, data: plain },
      { index: 1, data: new Uint8Array(3) },
    ]);
    expect(several.map(exact)).toEqual([true, true]);
  }, 120_000);

  it('unpacking wipes the whole model output, the padding after each chunk included (v1 and v2)', () => {
    const p1 = _deriveParams(key, salt);
    const p2 = _deriveParamsV2(key, salt);
    try {
      for (const [pack, unpack] of [
        [(items: { index: number; data: Uint8Array }[]) => _packJob(p1, items, false), _unpackJob],
        [(items: { index: number; data: Uint8Array }[]) => _packJobV2(p2, items, false), (job: never, out: Uint8Array, items: never) => _unpackJobV2(job, { out, state: new Uint8Array(64 * 2) }, items)],
      ] as const) {
        for (const items of [[{ index: 0, data: new Uint8Array(5) }], [{ index: 0, data: new Uint8Array(5) }, { index: 1, data: new Uint8Array(700) }]]) {
          const job = pack(items);
          // A model output that is a view into a larger buffer (so it is not freed), full of "keystream".
          const backing = new Uint8Array(job.data.length + 16).fill(0x5c);
          const out = backing.subarray(8, 8 + job.data.length);
          const outs = (unpack as (j: never, o: Uint8Array, i: never) => Uint8Array[])(job as never, out, items as never);
          expect(outs.map((o) => [o.length, o.buffer.byteLength, o.every((x) => x === 0x5c)])).toEqual(items.map((it) => [it.data.length, it.data.length, true]));
          expect(out.every((x) => x === 0)).toBe(true);
        }
      }
    } finally {
      _wipeParams(p1);
      _wipeParamsV2(p2);
    }
  });
});

describe('finding 3: the worker wipes its copy of the weights and start states, even when a run throws', () => {
  const jobs = () => {
    const p1 = _deriveParams(key, salt);
    const p2 = _deriveParamsV2(key, salt);
    const items = [{ index: 0, data: plain }];
    const out = { v1: _packJob(p1, items, false), v2: _packJobV2(p2, items, false) };
    _wipeParams(p1);
    _wipeParamsV2(p2);
    // The start states as a view into a larger buffer: the worker frees (detaches) a buffer it owns
    // whole, which would hide whether it was wiped first.
    for (const job of [out.v1, out.v2]) {
      const backing = new Uint8Array(job.iv.length + 1);
      backing.set(job.iv);
      job.iv = backing.subarray(0, job.iv.length);
    }
    return out;
  };
  const secrets = (job: { w1: Uint8Array; z1: Uint8Array; w2: Uint8Array; z2: Uint8Array; iv: Uint8Array }): boolean[] =>
    [job.w1, job.z1, job.w2, job.z2, job.iv].map((b) => b.some((x) => x !== 0));
  let sessions: { v1: unknown; v2: unknown };
  beforeAll(async () => {
    const ort = await _loadOrt();
    sessions = {
      v1: await ort.InferenceSession.create(readFileSync(_MODEL_PATH), SESSION_OPTIONS),
      v2: await ort.InferenceSession.create(readFileSync(_MODEL_V2_PATH), SESSION_OPTIONS),
    };
  }, 120_000);

  it.each([['v1'], ['v2']] as const)('%s: a run that succeeds, and one that throws (data of the wrong length)', async (v) => {
    const ort = await _loadOrt();
    const session = sessions[v] as Parameters<typeof runPosted>[1];
    const good = jobs()[v];
    expect(secrets(good)).toEqual([true, true, true, true, true]); // positive control
    const res = await runPosted(ort, session, good);
    expect(secrets(good)).toEqual([false, false, false, false, false]);
    // Whatever is posted back covers its whole buffer: transferring it moves nothing else.
    for (const b of v === 'v2' ? [res.out, res.state!] : [res.out]) expect(b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).toBe(true);

    const bad = jobs()[v];
    bad.data = bad.data.subarray(1);
    expect(secrets(bad)).toEqual([true, true, true, true, true]);
    await expect(runPosted(ort, session, bad)).rejects.toThrow();
    expect(secrets(bad)).toEqual([false, false, false, false, false]);
  }, 120_000);
});
