// Where onnxruntime-node cannot be installed or loaded (it is an optional dependency), the reference
// backend must still work: 'auto' falls back, 'onnx' refuses with a typed error.
import { describe, expect, it, jest } from '@jest/globals';

jest.unstable_mockModule('onnxruntime-node', () => {
  throw new Error('Cannot find module onnxruntime-node (simulated)');
});

describe('without onnxruntime-node', () => {
  it('createNde auto gives the reference backend; onnx rejects with ERR_NDE_BACKEND_UNAVAILABLE', async () => {
    const { createNde, createOnnxBackend } = await import('../src/node.js');
    const auto = await createNde();
    expect(auto.name).toBe('reference');
    const [ct] = await auto.encryptChunks(new Uint8Array(32), new Uint8Array(0), [{ index: 0, data: new Uint8Array(10) }]);
    expect(ct!.length).toBe(10);
    await expect(createNde({ backend: 'onnx', workers: 0 })).rejects.toMatchObject({ code: 'ERR_NDE_BACKEND_UNAVAILABLE' });
    await expect(createOnnxBackend({ workers: 2 }).ready()).rejects.toMatchObject({ code: 'ERR_NDE_BACKEND_UNAVAILABLE' });
  });
});
