import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NDE_MODEL_ID_HEX, createNde, createOnnxBackend, referenceBackend, type NdeBackend, type NdeChunk } from '../src/node.js';
import { _MODEL_PATH } from '../src/onnx/runtime.js';
import { goldenVectors } from './helpers.js';

const { vectors } = goldenVectors();

// One inline session and one 2-worker pool, shared by every test of this file (sessions are costly).
let inline: ReturnType<typeof createOnnxBackend>;
let pool: ReturnType<typeof createOnnxBackend>;
beforeAll(async () => {
  inline = createOnnxBackend({ workers: 0 });
  pool = createOnnxBackend({ workers: 2 });
  await Promise.all([inline.ready(), pool.ready()]);
}, 120_000); // key generation / sessions: sized for a loaded machine
afterAll(async () => {
  await Promise.all([inline.close(), pool.close()]);
});

describe('onnxruntime-node loads from the npm tarball (no postinstall)', () => {
  it('the shipped model file is NDE_MODEL_ID', () => {
    expect(bytesToHex(sha256(readFileSync(_MODEL_PATH)))).toBe(NDE_MODEL_ID_HEX);
  });
  it("createNde({ backend: 'auto' }) picks ONNX here; 'reference' gives the reference backend", async () => {
    const auto = await createNde({ backend: 'auto', workers: 0 });
    expect(auto.name).toBe('onnx');
    await auto.close();
    expect((await createNde({ backend: 'reference' })).name).toBe('reference');
    await expect(createNde({ backend: 'gpu' as never })).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
  });
});

describe.each([
  ['inline session', () => inline],
  ['worker pool', () => pool],
])('ONNX backend (%s)', (_label, backend: () => NdeBackend) => {
  it('reproduces every golden vector, one call per vector', async () => {
    for (const v of vectors) {
      const [ct] = await backend().encryptChunks(v.key, v.salt, [{ index: v.index, data: v.plaintext }]);
      expect(bytesToHex(ct!)).toBe(bytesToHex(v.ciphertext));
      const [pt] = await backend().decryptChunks(v.key, v.salt, [{ index: v.index, data: v.ciphertext }]);
      expect(bytesToHex(pt!)).toBe(bytesToHex(v.plaintext));
    }
  });
  it('reproduces golden vectors batched together with other chunks', async () => {
    const v = vectors.find((x) => x.name === 'good_partial_last_block')!;
    const items: NdeChunk[] = [
      { index: 9, data: new Uint8Array(1000) },
      { index: v.index, data: v.plaintext },
      { index: 0, data: new Uint8Array(0) },
      { index: 2 ** 32, data: new Uint8Array(5) },
    ];
    const got = await backend().encryptChunks(v.key, v.salt, items);
    expect(got[1]).toEqual(v.ciphertext);
    expect(got.map((g) => g.length)).toEqual([1000, 300, 0, 5]);
    expect(got).toEqual(await referenceBackend.encryptChunks(v.key, v.salt, items));
  });
});

const chunk = fc.record({
  index: fc.oneof(fc.nat(40), fc.constantFrom(2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom(0, 1, 127, 128, 129, 255, 256, 257).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  ),
});

describe('ONNX and reference agree on random inputs (property)', () => {
  it('random keys and salts, batches of 1-8 chunks, both directions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 48 }),
        fc.array(chunk, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (key, salt, items, decrypt, usePool) => {
          const onnx = usePool ? pool : inline;
          const got = decrypt ? await onnx.decryptChunks(key, salt, items) : await onnx.encryptChunks(key, salt, items);
          const want = decrypt ? await referenceBackend.decryptChunks(key, salt, items) : await referenceBackend.encryptChunks(key, salt, items);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000); // ONNX sessions and the reference backend on many chunks: sized for a loaded machine
  it('one key, batches of up to 16 chunks (the envelope pattern), round trip through both backends', async () => {
    const key = new Uint8Array(32).fill(0xa5);
    const salt = new Uint8Array(32).fill(0x3c);
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 16 }), async (items) => {
        const ct = await pool.encryptChunks(key, salt, items);
        expect(ct).toEqual(await referenceBackend.encryptChunks(key, salt, items));
        const pt = await inline.decryptChunks(key, salt, items.map((it, i) => ({ index: it.index, data: ct[i]! })));
        expect(pt).toEqual(items.map((it) => it.data));
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe('ONNX backend: concurrent callers', () => {
  it('calls with different keys in flight at once each get their own bytes', async () => {
    const keys = [1, 2, 3].map((k) => new Uint8Array(32).fill(k));
    const salt = new Uint8Array(16);
    const items = Array.from({ length: 6 }, (_, i) => ({ index: i, data: new Uint8Array(3000 + i * 1000).fill(i) }));
    const calls = keys.flatMap((key) => [pool.encryptChunks(key, salt, items), inline.encryptChunks(key, salt, items)]);
    const got = await Promise.all(calls);
    for (let k = 0; k < keys.length; k++) {
      const want = await referenceBackend.encryptChunks(keys[k]!, salt, items);
      expect(got[2 * k]).toEqual(want);
      expect(got[2 * k + 1]).toEqual(want);
    }
  });
});

describe('ONNX backend: failures are typed', () => {
  it('fail_model_mismatch: a model file that is not NDE_MODEL_ID is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nde-'));
    try {
      const bytes = readFileSync(_MODEL_PATH);
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(join(dir, 'bad.onnx'), bytes);
      const bad = createOnnxBackend({ workers: 0, modelPath: join(dir, 'bad.onnx') });
      await expect(bad.encryptChunks(new Uint8Array(32), new Uint8Array(0), [])).rejects.toMatchObject({
        code: 'ERR_NDE_MODEL_MISMATCH',
      });
      await bad.close();
      copyFileSync(_MODEL_PATH, join(dir, 'ok.onnx'));
      await expect(createNde({ backend: 'onnx', workers: 0, modelPath: join(dir, 'missing.onnx') })).rejects.toMatchObject({
        code: 'ERR_NDE_BACKEND_UNAVAILABLE',
      });
      // 'auto' falls back to the reference backend instead of failing.
      expect((await createNde({ backend: 'auto', workers: 0, modelPath: join(dir, 'bad.onnx') })).name).toBe('reference');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('fail_input: bad arguments reject with ERR_NDE_INVALID_INPUT', async () => {
    await expect(pool.encryptChunks(new Uint8Array(16), new Uint8Array(0), [])).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
    await expect(pool.encryptChunks(new Uint8Array(32), new Uint8Array(0), [{ index: 0.5, data: new Uint8Array(1) }])).rejects.toMatchObject({
      code: 'ERR_NDE_INVALID_INPUT',
    });
    expect(() => createOnnxBackend({ workers: -1 })).toThrow('"workers" expected an integer in 0..64, got -1');
  });
  it('fail_closed_in_flight: closing rejects queued work with ERR_NDE_CLOSED instead of leaving it pending', async () => {
    const b = createOnnxBackend({ workers: 1 });
    await b.ready();
    const key = new Uint8Array(32);
    const big = Array.from({ length: 8 }, (_, i) => ({ index: i, data: new Uint8Array(65536) }));
    const calls = [b.encryptChunks(key, new Uint8Array(0), big), b.encryptChunks(key, new Uint8Array(0), big)];
    const settled = Promise.allSettled(calls);
    await new Promise((r) => setTimeout(r, 0));
    await b.close();
    const results = await settled;
    // Whatever finished before close is correct; the rest is rejected with the typed error.
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_NDE_CLOSED' });
      else expect(r.value).toEqual(await referenceBackend.encryptChunks(key, new Uint8Array(0), big));
    }
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });
  it('fail_closed: a closed backend refuses work', async () => {
    const b = createOnnxBackend({ workers: 0 });
    await b.close();
    await expect(b.encryptChunks(new Uint8Array(32), new Uint8Array(0), [])).rejects.toMatchObject({ code: 'ERR_NDE_CLOSED' });
  });
});
