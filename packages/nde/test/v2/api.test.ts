import { describe, expect, it } from '@jest/globals';
import {
  NDE_DEFAULT_VERSION,
  NDE_MODEL_ID,
  NDE_MODEL_ID_HEX,
  NDE_MODELS,
  NqcNdeError,
  createNde,
  createReferenceNde,
  ndeModelIdOf,
  ndeVersionOf,
  referenceBackend,
  referenceBackendV2,
} from '../../src/node.js';
import { testBytes, thrownNdeError } from '../helpers.js';
import { specCryptV2 } from './spec.js';

describe('versions', () => {
  it('NDE_MODELS describes v1 as shipped and v2 as specified', () => {
    expect(NDE_DEFAULT_VERSION).toBe(2);
    expect(NDE_MODELS[1]).toEqual({ version: 1, file: 'nde-v1.onnx', idHex: NDE_MODEL_ID_HEX, blockSize: 128 });
    expect(NDE_MODELS[2]).toMatchObject({ version: 2, file: 'nde-v2.onnx', blockSize: 512 });
    expect(NDE_MODELS[2].idHex).toMatch(/^[0-9a-f]{64}$/);
    expect(NDE_MODELS[2].idHex).not.toBe(NDE_MODEL_ID_HEX);
    expect(Object.isFrozen(NDE_MODELS) && Object.isFrozen(NDE_MODELS[1]) && Object.isFrozen(NDE_MODELS[2])).toBe(true);
  });
  it('ndeModelIdOf gives a fresh copy each call; ndeVersionOf maps ids back', () => {
    const a = ndeModelIdOf(1);
    expect(a).toEqual(NDE_MODEL_ID);
    a[0] ^= 0xff;
    expect(ndeModelIdOf(1)).toEqual(NDE_MODEL_ID);
    expect(ndeVersionOf(a)).toBeUndefined();
    expect(ndeVersionOf(ndeModelIdOf(1))).toBe(1);
    expect(ndeVersionOf(ndeModelIdOf(2))).toBe(2);
    expect(ndeVersionOf(Buffer.from(ndeModelIdOf(2)))).toBe(2);
    expect(ndeVersionOf(new Uint8Array(31))).toBeUndefined();
    expect(ndeVersionOf('x' as unknown as Uint8Array)).toBeUndefined();
  });
  it('ndeModelIdOf refuses other versions with a typed error', () => {
    expect(() => ndeModelIdOf(3 as never)).toThrow(expect.objectContaining({ code: 'ERR_NDE_INVALID_INPUT', message: '"version" expected 1 or 2, got 3' }));
  });
  it('backends say their version and model id (a copy: mutating it changes nothing)', () => {
    expect([referenceBackend.version, referenceBackendV2.version]).toEqual([1, 2]);
    const id = referenceBackendV2.modelId;
    id.fill(1);
    expect(referenceBackendV2.modelId).toEqual(ndeModelIdOf(2));
  });
});

describe('createReferenceNde({ version })', () => {
  it('defaults to v1 (existing callers unchanged) and gives v2 on request', () => {
    expect(createReferenceNde().version).toBe(1);
    expect(createReferenceNde({}).version).toBe(1);
    expect(createReferenceNde({ version: 1 }).version).toBe(1);
    expect(createReferenceNde({ version: 2 }).version).toBe(2);
  });
  it.each([[0], [3], ['2'], [null], [1.5]])('fail_version %p', (version) => {
    expect(() => createReferenceNde({ version: version as never })).toThrow(NqcNdeError);
    expect(() => createReferenceNde({ version: version as never })).toThrow(expect.objectContaining({ code: 'ERR_NDE_INVALID_INPUT' }));
  });
});

describe('createNde({ version })', () => {
  it('v2 reference gives the v2 reference backend; v2 onnx (here: onnxruntime-node installed) the ONNX v2 backend; wasm and auto the WebAssembly backend', async () => {
    const ref = await createNde({ version: 2, backend: 'reference' });
    expect([ref.name, ref.version]).toEqual(['reference', 2]);
    for (const [backend, name] of [['onnx', 'onnx'], ['wasm', 'wasm'], ['auto', 'wasm']] as const) {
      const nde = await createNde({ version: 2, backend, workers: 0 });
      expect([nde.name, nde.version]).toEqual([name, 2]);
      await nde.close();
    }
  }, 120_000);
  it('v1 reference is the v1 reference backend', async () => {
    expect(await createNde({ version: 1, backend: 'reference' })).toBe(referenceBackend);
    expect(await createNde({ backend: 'reference' })).toBe(referenceBackend);
  });
  it.each([
    [{ version: 3 }, 'ERR_NDE_INVALID_INPUT'],
    [{ version: '2' }, 'ERR_NDE_INVALID_INPUT'],
    [{ version: null }, 'ERR_NDE_INVALID_INPUT'],
    [{ version: 2, backend: 'gpu' }, 'ERR_NDE_INVALID_INPUT'],
    [{ version: 1, backend: 'wasm' }, 'ERR_NDE_BACKEND_UNAVAILABLE'],
  ])('rejects what it cannot serve: %p -> %s', async (opts, code) => {
    await expect(createNde(opts as never)).rejects.toMatchObject({ name: 'NqcNdeError', code });
  });
});

describe('v2 input checks (fail_*)', () => {
  const nde = createReferenceNde({ version: 2 });
  const key = new Uint8Array(32);
  const salt = new Uint8Array(16);
  const data = new Uint8Array(4);
  const thrown = thrownNdeError;
  it('fail_key_length', () => {
    expect(thrown(() => nde.encryptChunk(new Uint8Array(33), salt, 0, data))).toBe('ERR_NDE_INVALID_INPUT: "key" expected Uint8Array of length 32, got length=33');
  });
  it('fail_salt_too_long', () => {
    expect(thrown(() => nde.decryptChunk(key, new Uint8Array(1025), 0, data))).toBe(
      'ERR_NDE_INVALID_INPUT: "salt" expected Uint8Array of length at most 1024, got length=1025',
    );
  });
  it.each([[-1], [0.5], [2 ** 53], [Number.NaN], ['0']])('fail_index %p', (index) => {
    expect(thrown(() => nde.encryptChunk(key, salt, index as number, data))).toMatch(/^ERR_NDE_INVALID_INPUT: "index" expected a non-negative safe integer/);
  });
  it('fail_data_type', () => {
    expect(thrown(() => nde.encryptChunk(key, salt, 0, 'abc' as unknown as Uint8Array))).toBe('ERR_NDE_INVALID_INPUT: "data" expected Uint8Array, got type=string');
  });
  it('fail_items: a rejection, not a throw', async () => {
    await expect(nde.encryptChunks(key, salt, [{ index: 0, data }, { index: 2 ** 53, data }])).rejects.toMatchObject({
      code: 'ERR_NDE_INVALID_INPUT',
      message: '"items[1].index" expected a non-negative safe integer, got 9007199254740992',
    });
    await expect(nde.decryptChunks(key, salt, null as never)).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
  });
});

describe('v2 with Buffer keys and salts (real copies, never views)', () => {
  const K1 = testBytes(32, 1);
  const K2 = testBytes(32, 2);
  const SA = testBytes(16, 3);
  const SB = testBytes(16, 4);
  const DATA = testBytes(700, 5);
  const want = (key: Uint8Array, salt: Uint8Array): Uint8Array => specCryptV2(new Uint8Array(key), new Uint8Array(salt), 0, DATA, false);

  it('a salt change and close() leave the caller key intact', async () => {
    const nde = createReferenceNde({ version: 2 });
    const key = Buffer.from(K1);
    const [c1] = await nde.encryptChunks(key, Buffer.from(SA), [{ index: 0, data: DATA }]);
    await nde.encryptChunks(key, Buffer.from(SB), [{ index: 0, data: DATA }]);
    expect(new Uint8Array(key)).toEqual(K1);
    const [c2] = await nde.encryptChunks(key, Buffer.from(SA), [{ index: 0, data: DATA }]);
    expect(c1).toEqual(want(K1, SA));
    expect(c2).toEqual(want(K1, SA));
    await nde.close();
    expect(new Uint8Array(key)).toEqual(K1);
  });
  it('reusing one Buffer for another key or salt gives bytes under the new one', () => {
    const nde = createReferenceNde({ version: 2 });
    const key = Buffer.from(K1);
    const salt = Buffer.from(SA);
    const c1 = nde.encryptChunk(key, salt, 0, DATA);
    key.set(K2);
    const c2 = nde.encryptChunk(key, salt, 0, DATA);
    salt.set(SB);
    const c3 = nde.encryptChunk(key, salt, 0, DATA);
    expect([c1, c2, c3]).toEqual([want(K1, SA), want(K2, SA), want(K2, SB)]);
  });
  it('views into one pooled Buffer work like private copies', () => {
    const pool = Buffer.alloc(128);
    pool.set(K1, 8);
    pool.set(SA, 64);
    const nde = createReferenceNde({ version: 2 });
    expect(nde.encryptChunk(pool.subarray(8, 40), pool.subarray(64, 80), 0, DATA)).toEqual(want(K1, SA));
    pool.fill(0);
    expect(nde.encryptChunk(Buffer.from(K1), Buffer.from(SA), 0, DATA)).toEqual(want(K1, SA));
  });
});
