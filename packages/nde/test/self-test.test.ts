// The ONNX backend must refuse to run when it disagrees with the known answers. Here the known
// answers are altered (as a miscomputing kernel would look from the inside): the backend must refuse.
import { describe, expect, it, jest } from '@jest/globals';

jest.unstable_mockModule('../src/onnx/kat.js', async () => {
  const { utf8ToBytes } = await import('@noble/hashes/utils.js');
  return {
    _JOB_BATCHES: [64, 32, 16, 8, 4, 2, 1],
    _katInputs: () => ({
      key: Uint8Array.from({ length: 32 }, (_, i) => i),
      salt: utf8ToBytes('nqc/nde/kat'),
      cases: [{ name: '1/short', items: [{ index: 0, data: new Uint8Array(300) }] }],
    }),
    _KAT: { '1/short': { encrypt: '00'.repeat(32), decrypt: '00'.repeat(32) } },
  };
});

describe('ONNX self-test', () => {
  it('fail_self_test: refuses with ERR_NDE_SELF_TEST_FAILED, and createNde auto falls back', async () => {
    const { createOnnxBackend, createNde } = await import('../src/node.js');
    const b = createOnnxBackend({ workers: 0 });
    await expect(b.encryptChunks(new Uint8Array(32), new Uint8Array(0), [{ index: 0, data: new Uint8Array(3) }])).rejects.toMatchObject({
      code: 'ERR_NDE_SELF_TEST_FAILED',
      message: 'ONNX backend disagrees with the NDE v1 known answers (encrypt, 1/short): refusing to run',
    });
    await b.close();
    await expect(createNde({ backend: 'onnx', workers: 1 })).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED' });
    const reasons: unknown[] = [];
    expect((await createNde({ workers: 0, onFallback: (r) => reasons.push(r) })).name).toBe('reference');
    expect(reasons).toEqual([expect.objectContaining({ code: 'ERR_NDE_SELF_TEST_FAILED' })]);
  }, 120_000);
});
