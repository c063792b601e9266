// Keys and salts given as Node Buffers: Buffer.prototype.slice is a VIEW, so a backend that kept
// `key.slice()` aliased the caller's memory. Then a salt change wiped the caller's key (and the next
// call ran under the all-zero key), and a caller reusing its buffer for another key got ciphertext
// under the old key (the cache compared the buffer with itself). Every backend and the stream batcher
// must keep real copies.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNdeTransform, createOnnxBackend, createReferenceNde, referenceBackend, type NdeBackend } from '../src/node.js';
import { testBytes } from './helpers.js';

const K1 = testBytes(32, 1);
const K2 = testBytes(32, 2);
const SALT_A = testBytes(16, 3);
const SALT_B = testBytes(16, 4);
const DATA = testBytes(300, 5);
const ZERO_KEY = new Uint8Array(32);

/** The expected ciphertext, from a fresh reference backend given private Uint8Array copies. */
const expected = (key: Uint8Array, salt: Uint8Array, data = DATA, index = 0): Uint8Array =>
  createReferenceNde().encryptChunk(new Uint8Array(key), new Uint8Array(salt), index, data);

let onnx: ReturnType<typeof createOnnxBackend>;
beforeAll(async () => {
  onnx = createOnnxBackend({ workers: 0 });
  await onnx.ready();
}, 120_000);
afterAll(async () => {
  await onnx.close();
});

describe.each([
  ['reference', () => createReferenceNde() as NdeBackend],
  ['onnx (inline session)', () => onnx as NdeBackend],
])('%s backend with Buffer keys and salts', (_name, make) => {
  it('a salt change leaves the caller key intact, and the next call does not run under the all-zero key', async () => {
    const nde = make();
    const key = Buffer.from(K1);
    const [c1] = await nde.encryptChunks(key, Buffer.from(SALT_A), [{ index: 0, data: DATA }]);
    await nde.encryptChunks(key, Buffer.from(SALT_B), [{ index: 0, data: DATA }]); // replaces the cached params
    expect(new Uint8Array(key)).toEqual(K1);
    const [c2] = await nde.encryptChunks(key, Buffer.from(SALT_A), [{ index: 0, data: DATA }]);
    expect(c1).toEqual(expected(K1, SALT_A));
    expect(c2).toEqual(expected(K1, SALT_A));
    expect(c2).not.toEqual(expected(ZERO_KEY, SALT_A));
  });

  it('reusing one Buffer for another key gives ciphertext under the new key', async () => {
    const nde = make();
    const key = Buffer.from(K1);
    const salt = Buffer.from(SALT_A);
    const [c1] = await nde.encryptChunks(key, salt, [{ index: 0, data: DATA }]);
    key.set(K2);
    const [c2] = await nde.encryptChunks(key, salt, [{ index: 0, data: DATA }]);
    salt.set(SALT_B);
    const [c3] = await nde.encryptChunks(key, salt, [{ index: 0, data: DATA }]);
    expect(c1).toEqual(expected(K1, SALT_A));
    expect(c2).toEqual(expected(K2, SALT_A));
    expect(c3).toEqual(expected(K2, SALT_B));
  });

  it('views into one larger Buffer (a pooled allocation) work like private copies', async () => {
    const nde = make();
    const pool = Buffer.alloc(128);
    pool.set(K1, 8);
    pool.set(SALT_A, 64);
    const [c1] = await nde.encryptChunks(pool.subarray(8, 40), pool.subarray(64, 80), [{ index: 7, data: DATA }]);
    pool.fill(0xee);
    const [c2] = await nde.encryptChunks(Buffer.from(K1), Buffer.from(SALT_A), [{ index: 7, data: DATA }]);
    expect(c1).toEqual(expected(K1, SALT_A, DATA, 7));
    expect(c2).toEqual(c1);
  });
});

describe('stream transform with Buffer keys and salts', () => {
  const runStream = async (key: Uint8Array, salt: Uint8Array, afterCreate: () => void): Promise<Uint8Array> => {
    const t = createNdeTransform(referenceBackend, { key, salt, chunkSize: 200, batch: 1, inflight: 1 });
    afterCreate();
    const writer = t.writable.getWriter();
    const reader = t.readable.getReader();
    const parts: Uint8Array[] = [];
    const read = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    })();
    await writer.write(DATA);
    await writer.close();
    await read;
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  };
  const expectedStream = (key: Uint8Array, salt: Uint8Array): Uint8Array =>
    Uint8Array.from([...expected(key, salt, DATA.subarray(0, 200), 0), ...expected(key, salt, DATA.subarray(200), 1)]);

  it('finishing a stream does not wipe the caller key', async () => {
    const key = Buffer.from(K1);
    const out = await runStream(key, Buffer.from(SALT_A), () => undefined);
    expect(new Uint8Array(key)).toEqual(K1);
    expect(out).toEqual(expectedStream(K1, SALT_A));
  });

  it('changing the caller buffers after creating the stream does not change its output', async () => {
    const key = Buffer.from(K1);
    const salt = Buffer.from(SALT_A);
    const out = await runStream(key, salt, () => {
      key.set(K2);
      salt.set(SALT_B);
    });
    expect(out).toEqual(expectedStream(K1, SALT_A));
  });
});
