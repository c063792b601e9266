// Review finding 4 (2026-12-02): a batch mixing one 1 MiB chunk with tiny ones was one job padded to
// the longest chunk (64 x 2048 steps: ~64 MiB and 64x the compute). The session here is real, wrapped
// to record the shape of every run; the backends must give the same bytes with bounded padding, and
// only ever run self-tested batch sizes.
import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { ortWithRunHook } from './ort-mock.js';
import type { NdeBackend, NdeChunk } from '../src/types.js';
import { testBytes } from './helpers.js';

/** [batch, steps] of every session.run since the last reset. */
const shapes: [number, number][] = [];

jest.unstable_mockModule('onnxruntime-node', () =>
  ortWithRunHook<unknown>((feeds, names, run) => {
    const [batch, steps] = feeds.data!.dims;
    shapes.push([batch!, steps!]);
    return run(feeds, names);
  }),
);

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff);
const salt = new TextEncoder().encode('nde padding');

const versions = [
  { v: 1, step: 128 },
  { v: 2, step: 512 },
] as const;

async function backendOf(v: 1 | 2): Promise<{ b: NdeBackend & { ready(): Promise<void> }; ref: NdeBackend }> {
  const nde = await import('../src/node.js');
  const b = v === 1 ? nde.createOnnxBackend({ workers: 0 }) : nde.createOnnxBackendV2({ workers: 0 });
  await b.ready(); // the self-test's runs are not counted
  return { b, ref: v === 1 ? nde.referenceBackend : nde.referenceBackendV2 };
}

/** Runs the batch, checks it against the reference, and returns the runs' shapes. */
async function shapesOf(b: NdeBackend, ref: NdeBackend, items: NdeChunk[]): Promise<[number, number][]> {
  shapes.length = 0;
  const got = await b.encryptChunks(key, salt, items);
  const seen = shapes.splice(0);
  const want = await ref.encryptChunks(key, salt, items);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(want[i]!))).toBe(true));
  return seen;
}

describe('ONNX batch padding stays bounded', () => {
  it.each(versions)('v$v: one 1 MiB chunk and 63 tiny ones: identical bytes, at most 2x the real steps, self-tested batch sizes', async ({ v, step }) => {
    const { _JOB_BATCHES } = await import('../src/onnx/kat.js');
    const { b, ref } = await backendOf(v);
    try {
      const items = [{ index: 0, data: testBytes(1 << 20, 1) }, ...Array.from({ length: 63 }, (_, i) => ({ index: i + 1, data: testBytes(1 + i * 5, i + 2) }))];
      const seen = await shapesOf(b, ref, items);
      const real = items.reduce((n, it) => n + Math.ceil(it.data.length / step), 0);
      const padded = seen.reduce((n, [batch, steps]) => n + batch * steps, 0);
      // Before the fix: one run of [64, 1 MiB of steps], 64x the real work.
      expect(padded).toBeLessThanOrEqual(2 * real);
      for (const [batch] of seen) expect(_JOB_BATCHES).toContain(batch);
      expect(seen.reduce((n, [batch]) => n + batch, 0)).toBe(64);
    } finally {
      await b.close();
    }
  }, 240_000);

  it.each(versions)('v$v: a pipeline batch (63 equal chunks and a short last one) still runs as one job of 64', async ({ v, step }) => {
    const { b, ref } = await backendOf(v);
    try {
      const items = Array.from({ length: 64 }, (_, i) => ({ index: i, data: testBytes(i === 63 ? 100 : 8 * step, i + 1) }));
      expect(await shapesOf(b, ref, items)).toEqual([[64, 8]]);
    } finally {
      await b.close();
    }
  }, 240_000);

  it('the job plan: every chunk once, self-tested sizes, each job at most 2x its real steps (property)', async () => {
    const { _planJobs } = await import('../src/onnx/plan.js');
    const { _JOB_BATCHES } = await import('../src/onnx/kat.js');
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2048 })), { maxLength: 300 }),
        fc.integer({ min: 1, max: 8 }),
        (steps, parts) => {
          const jobs = _planJobs(steps, parts);
          expect(jobs.flat().sort((a, b) => a - b)).toEqual(steps.map((_, i) => i));
          for (const job of jobs) {
            expect(_JOB_BATCHES).toContain(job.length);
            const max = Math.max(...job.map((i) => steps[i]!));
            expect(job.length * max).toBeLessThanOrEqual(2 * job.reduce((n, i) => n + steps[i]!, 0));
          }
        },
      ),
    );
    // Equal chunks keep the old grouping: about one group per runner.
    expect(_planJobs(Array<number>(64).fill(128), 2).map((j) => j.length)).toEqual([32, 32]);
  });
});
