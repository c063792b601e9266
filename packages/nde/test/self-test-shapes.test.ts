// A kernel that is right for small batches and wrong for large ones must not pass the self-test:
// onnxruntime picks different code paths by size. The session here is real, wrapped so that it
// corrupts one output byte whenever a run has more than 4 chunks (the old self-test ran 4 chunks
// only, and accepted this). The backend must refuse, and 'auto' must fall back and say so, once.
import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { ortWithRunHook } from './ort-mock.js';

jest.unstable_mockModule('onnxruntime-node', () =>
  ortWithRunHook<{ out: { data: Uint8Array } }>(async (feeds, names, run) => {
    const result = await run(feeds, names);
    if (feeds.data!.dims[0]! > 4) result.out.data[5]! ^= 1;
    return result;
  }),
);

describe('ONNX self-test at every batch shape', () => {
  it('refuses a session that miscomputes only above 4 chunks; auto falls back with one warning', async () => {
    const { createOnnxBackend, createNde, ndeFallbackReason, NDE_FALLBACK_WARNING_CODE } = await import('../src/node.js');
    const b = createOnnxBackend({ workers: 0 });
    await expect(b.ready()).rejects.toMatchObject({
      code: 'ERR_NDE_SELF_TEST_FAILED',
      message: expect.stringContaining('64/short'),
    });
    await b.close();

    // The library calls process.emitWarning (Node then prints it on stderr, once).
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(ndeFallbackReason()).toBeUndefined();
      expect((await createNde({ workers: 0 })).name).toBe('reference');
      expect((await createNde({ workers: 0 })).name).toBe('reference');
      expect(emit).toHaveBeenCalledTimes(1);
      const [message, options] = emit.mock.calls[0] as unknown as [string, { type: string; code: string; detail: string }];
      expect(options).toMatchObject({ type: 'NqcNdeWarning', code: NDE_FALLBACK_WARNING_CODE });
      expect(message).toContain('reference backend');
      expect(options.detail).toContain('ERR_NDE_SELF_TEST_FAILED');
    } finally {
      emit.mockRestore();
    }
    expect(ndeFallbackReason()).toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED' });
  }, 120_000);

  it('jobs are only ever cut to self-tested batch sizes', async () => {
    const { _jobSizes } = await import('../src/onnx/backend.js');
    const { _JOB_BATCHES } = await import('../src/onnx/kat.js');
    expect(_jobSizes(37)).toEqual([32, 4, 1]);
    expect(_jobSizes(200)).toEqual([64, 64, 64, 8]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2048 }), (n) => {
        const sizes = _jobSizes(n);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        for (const s of sizes) expect(_JOB_BATCHES).toContain(s);
      }),
    );
  });
});
