// The v2 self-test runs every batch shape the v2 backend uses: a session that is right for small
// batches and wrong for large ones (onnxruntime picks code paths by size) must be refused. The
// session here is the real one, wrapped to corrupt one output byte whenever a run has more than 4
// chunks; a second wrapper corrupts only the final-state output of runs of 2 or more chunks.
import { describe, expect, it, jest } from '@jest/globals';
import { ortWithRunHook, type Feeds } from '../ort-mock.js';

type Result = { out: { data: Uint8Array }; state?: { data: Uint8Array } };

let corrupt: (feeds: Feeds, result: Result) => void = () => undefined;

jest.unstable_mockModule('onnxruntime-node', () =>
  ortWithRunHook<Result>(async (feeds, names, run) => {
    const result = await run(feeds, names);
    corrupt(feeds, result);
    return result;
  }),
);

describe('ONNX v2 self-test at every batch shape', () => {
  it('refuses a session that miscomputes only above 4 chunks', async () => {
    const { createOnnxBackendV2 } = await import('../../src/onnx/v2/backend.js');
    corrupt = (feeds, result) => {
      if (feeds['data']!.dims[0]! > 4) result.out.data[5]! ^= 1;
    };
    const b = createOnnxBackendV2({ workers: 0 });
    await expect(b.ready()).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED', message: expect.stringContaining('64/short') });
    await b.close();
  }, 120_000);

  it('the same session, uncorrupted, passes (the wrapper alone changes nothing)', async () => {
    const { createOnnxBackendV2 } = await import('../../src/onnx/v2/backend.js');
    corrupt = () => undefined;
    const b = createOnnxBackendV2({ workers: 0 });
    await expect(b.ready()).resolves.toBeUndefined();
    await b.close();
  }, 120_000);

  it('refuses a session whose final-state output is wrong (caught by the segmented check)', async () => {
    const { createOnnxBackendV2 } = await import('../../src/onnx/v2/backend.js');
    corrupt = (_feeds, result) => {
      if (result.state) result.state.data[0]! ^= 0x80;
    };
    const b = createOnnxBackendV2({ workers: 0 });
    await expect(b.ready()).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED', message: expect.stringContaining('1/long in segments') });
    await b.close();
  }, 120_000);
});
