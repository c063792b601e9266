// The ONNX v2 backend refuses to run when it disagrees with its known answers. Here the known
// answers are altered (as a miscomputing kernel looks from the inside): every call must reject.
import { describe, expect, it, jest } from '@jest/globals';

jest.unstable_mockModule('../../src/onnx/v2/kat.js', async () => {
  const { utf8ToBytes } = await import('@noble/hashes/utils.js');
  return {
    _KAT_V2_SEGMENT_STEPS: 16,
    _katInputsV2: () => ({
      key: Uint8Array.from({ length: 32 }, (_, i) => i),
      salt: utf8ToBytes('nqc/nde/kat/v2'),
      cases: [{ name: '1/short', items: [{ index: 0, data: new Uint8Array(300) }] }],
    }),
    _KAT_V2: { '1/short': { encrypt: '00'.repeat(32), decrypt: '00'.repeat(32) } },
  };
});

describe('ONNX v2 self-test', () => {
  it('fail_self_test: refuses with ERR_NDE_SELF_TEST_FAILED (inline and worker sessions), and keeps refusing', async () => {
    const { createOnnxBackendV2 } = await import('../../src/onnx/v2/backend.js');
    for (const workers of [0, 1]) {
      const b = createOnnxBackendV2({ workers });
      const call = (): Promise<unknown> => b.encryptChunks(new Uint8Array(32), new Uint8Array(0), [{ index: 0, data: new Uint8Array(3) }]);
      await expect(call()).rejects.toMatchObject({
        code: 'ERR_NDE_SELF_TEST_FAILED',
        message: 'ONNX backend disagrees with the NDE v2 known answers (encrypt, 1/short): refusing to run',
      });
      await expect(call()).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED' });
      await b.close();
    }
  }, 120_000);
});
