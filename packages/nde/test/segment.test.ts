// Issue 9 item 1: a chunk over 1 MiB runs through onnxruntime in segments (segment.ts), each starting
// from the state the last one ended in, so per-call memory does not grow with the sender's chunk size.
// The output must equal the reference backend's (the specification) byte for byte.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOnnxBackend, referenceBackend } from '../src/node.js';
import { _deriveParams, _wipeParams } from '../src/derive.js';
import { _createInlineRunner } from '../src/onnx/runner.js';
import { _loadModel } from '../src/onnx/runtime.js';
import { _runSegmented, _SEGMENT_BLOCKS } from '../src/onnx/segment.js';
import { _selfTest } from '../src/onnx/backend.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const salt = new TextEncoder().encode('segment test');
const bytes = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 167 + seed * 29 + (i >> 9)) & 0xff);

let pool: ReturnType<typeof createOnnxBackend>;
beforeAll(async () => {
  pool = createOnnxBackend({ workers: 2 });
  await pool.ready();
}, 120_000);
afterAll(() => pool.close());

describe('segmented ONNX runs equal the reference', () => {
  it('segments are 1 MiB', () => {
    expect(_SEGMENT_BLOCKS * 128).toBe(1 << 20);
  });

  // 2 MiB + 77 bytes: three segments (two probes), a partial last block.
  it('a 2 MiB chunk through the backend (segmented) equals the reference, both directions', async () => {
    const data = bytes((2 << 20) + 77, 3);
    const item = { index: 2 ** 32 + 5, data };
    const [ct] = await pool.encryptChunks(key, salt, [item, { index: 1, data: data.subarray(0, 1000) }]);
    const [refCt, refSmall] = await referenceBackend.encryptChunks(key, salt, [item, { index: 1, data: data.subarray(0, 1000) }]);
    expect(Buffer.from(ct!).equals(Buffer.from(refCt!))).toBe(true);
    const back = await pool.decryptChunks(key, salt, [{ index: item.index, data: ct! }, { index: 1, data: refSmall! }]);
    expect(Buffer.from(back[0]!).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(back[1]!).equals(Buffer.from(data.subarray(0, 1000)))).toBe(true);
  }, 300_000);

  it('any segment size gives the unsegmented output (inline session, 2 MiB and short chunks)', async () => {
    const runner = await _createInlineRunner(await _loadModel());
    const params = _deriveParams(key, salt);
    try {
      const data = bytes(2 << 20, 8);
      const item = { index: 9, data };
      const [ref] = await referenceBackend.encryptChunks(key, salt, [item]);
      for (const seg of [8192, 3000, 1]) {
        const got = await _runSegmented((job) => runner.run(job), params, seg === 1 ? { index: 9, data: data.subarray(0, 1000) } : item, false, seg);
        const want = seg === 1 ? ref!.subarray(0, 1000) : ref!;
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        const pt = await _runSegmented((job) => runner.run(job), params, { index: 9, data: want }, true, seg);
        expect(Buffer.from(pt).equals(Buffer.from(seg === 1 ? data.subarray(0, 1000) : data))).toBe(true);
      }
    } finally {
      _wipeParams(params);
      await runner.close();
    }
  }, 300_000);

  it('the self-test refuses a session whose state probe is wrong (segmented path only)', async () => {
    const real = await _createInlineRunner(await _loadModel());
    try {
      await expect(_selfTest(real)).resolves.toBeUndefined();
      // Corrupts one byte of the last block of every probe run (second layer 60 * I, zero points 0):
      // unsegmented runs are untouched, so only the segmented known-answer check can catch it.
      const faulty = {
        run: async (job: Parameters<typeof real.run>[0]) => {
          const probe = job.w2[0] === 60 && job.w2[1] === 0 && job.z2.every((b) => b === 0);
          const out = await real.run(job);
          if (probe) out[out.length - 1]! ^= 1;
          return out;
        },
        close: () => real.close(),
      };
      await expect(_selfTest(faulty)).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED', message: expect.stringContaining('in segments') });
    } finally {
      await real.close();
    }
  }, 300_000);
});
