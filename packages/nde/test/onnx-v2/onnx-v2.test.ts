// The ONNX backend of NDE v2 (src/onnx/v2, model/nde-v2.onnx) against the v2 reference backend (the
// specification's implementation): golden vectors, random inputs and batches, segmented runs, the
// pinned model id.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { NDE_MODELS, ndeModelIdOf, referenceBackendV2, type NdeBackend, type NdeChunk } from '../../src/node.js';
import { _deriveParamsV2, _wipeParamsV2 } from '../../src/v2/derive.js';
import { _createInlineRunnerV2 } from '../../src/onnx/runner.js';
import { _loadOrt } from '../../src/onnx/runtime.js';
import { _packJobV2, _unpackJobV2 } from '../../src/onnx/v2/job.js';
import { runJobV2, SESSION_OPTIONS } from '../../worker/onnx-session.mjs';
import { _selfTestV2, createOnnxBackendV2 } from '../../src/onnx/v2/backend.js';
import { _KAT_V2, _katInputsV2 } from '../../src/onnx/v2/kat.js';
import { _JOB_BATCHES } from '../../src/onnx/kat.js';
import { _MODEL_V2_PATH, _loadModelV2 } from '../../src/onnx/v2/runtime.js';
import { _runSegmentedV2, _SEGMENT_STEPS_V2 } from '../../src/onnx/v2/segment.js';
import { testBytes } from '../helpers.js';

let inline: ReturnType<typeof createOnnxBackendV2>;
let pool: ReturnType<typeof createOnnxBackendV2>;
beforeAll(async () => {
  inline = createOnnxBackendV2({ workers: 0 });
  pool = createOnnxBackendV2({ workers: 2 });
  await Promise.all([inline.ready(), pool.ready()]);
}, 180_000); // sessions and self-tests on a loaded machine
afterAll(async () => {
  await Promise.all([inline.close(), pool.close()]);
});

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const salt = new TextEncoder().encode('onnx v2 test');
const same = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => bytesToHex(a!) === bytesToHex(b!);

describe('the v2 model file', () => {
  it('hashes to NDE_MODELS[2].idHex, and the backend names that id', () => {
    expect(bytesToHex(sha256(readFileSync(_MODEL_V2_PATH)))).toBe(NDE_MODELS[2].idHex);
    expect(NDE_MODELS[2].idHex).not.toBe('00'.repeat(32));
    expect(inline.version).toBe(2);
    expect(bytesToHex(inline.modelId)).toBe(NDE_MODELS[2].idHex);
    expect(inline.modelId).toEqual(ndeModelIdOf(2));
  });

  it('fail_model_mismatch: a model file with another hash is refused, before any session starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nqc-nde-v2-'));
    try {
      const changed = join(dir, 'nde-v2.onnx');
      const bytes = readFileSync(_MODEL_V2_PATH);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(changed, bytes);
      await expect(_loadModelV2(changed)).rejects.toMatchObject({ code: 'ERR_NDE_MODEL_MISMATCH' });
      const b = createOnnxBackendV2({ workers: 0, modelPath: changed });
      await expect(b.encryptChunks(key, salt, [{ index: 0, data: new Uint8Array(3) }])).rejects.toMatchObject({ code: 'ERR_NDE_MODEL_MISMATCH' });
      await b.close();
      // The v1 model is not the v2 model either.
      const v1 = join(dir, 'nde-v1.onnx');
      copyFileSync(new URL('../../model/nde-v1.onnx', import.meta.url), v1);
      const withV1 = createOnnxBackendV2({ workers: 1, modelPath: v1 });
      await expect(withV1.ready()).rejects.toMatchObject({ code: 'ERR_NDE_MODEL_MISMATCH' });
      await withV1.close();
      await expect(_loadModelV2(join(dir, 'missing.onnx'))).rejects.toMatchObject({ code: 'ERR_NDE_BACKEND_UNAVAILABLE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// test/vectors/nde-v2-golden.json (written by the reference engineer's scripts; see its description).
const goldenFile = new URL('../vectors/nde-v2-golden.json', import.meta.url);
type GoldenItem = { index: number; length: number; plaintext?: string; ciphertextSha256: string; ciphertext?: string };
type Golden = GoldenItem & { name: string; key: string; salt: string };
type GoldenBatch = { name: string; key: string; salt: string; items: GoldenItem[] };
const goldenDoc = (existsSync(goldenFile) ? JSON.parse(readFileSync(goldenFile, 'utf8')) : { vectors: [], batches: [] }) as {
  vectors: Golden[];
  batches?: GoldenBatch[];
};
/** The vector's plaintext: given in hex, or else byte i = i mod 251. */
const plaintextOf = (v: GoldenItem): Uint8Array =>
  v.plaintext !== undefined && v.plaintext.length === 2 * v.length ? hexToBytes(v.plaintext) : Uint8Array.from({ length: v.length }, (_, i) => i % 251);
const checkCiphertext = (name: string, got: Uint8Array, v: GoldenItem): void => {
  expect(`${name} ${bytesToHex(sha256(got))}`).toBe(`${name} ${v.ciphertextSha256}`);
  if (v.ciphertext !== undefined) expect(`${name} ${bytesToHex(got)}`).toBe(`${name} ${v.ciphertext}`);
};

describe.each([
  ['inline session', () => inline],
  ['worker pool', () => pool],
])('ONNX v2 backend (%s)', (_label, backend: () => NdeBackend) => {
  it('reproduces every v2 golden vector (one call each) and every golden batch (one call per batch)', async () => {
    expect(goldenDoc.vectors.length).toBeGreaterThan(0);
    for (const v of goldenDoc.vectors) {
      const [k, s, pt] = [hexToBytes(v.key), hexToBytes(v.salt), plaintextOf(v)];
      const [ct] = await backend().encryptChunks(k, s, [{ index: v.index, data: pt }]);
      checkCiphertext(v.name, ct!, v);
      const [back] = await backend().decryptChunks(k, s, [{ index: v.index, data: ct! }]);
      expect(same(back, pt)).toBe(true);
    }
    for (const b of goldenDoc.batches ?? []) {
      const [k, s] = [hexToBytes(b.key), hexToBytes(b.salt)];
      const items = b.items.map((it) => ({ index: it.index, data: plaintextOf(it) }));
      const cts = await backend().encryptChunks(k, s, items);
      cts.forEach((ct, i) => checkCiphertext(`${b.name}[${i}]`, ct, b.items[i]!));
      const back = await backend().decryptChunks(k, s, items.map((it, i) => ({ index: it.index, data: cts[i]! })));
      back.forEach((pt, i) => expect(same(pt, items[i]!.data)).toBe(true));
    }
  }, 120_000);

  it('equals the reference on edge lengths (0, 1, 511, 512, 513, 64 KiB - 1, 64 KiB) in one batch', async () => {
    const lengths = [0, 1, 511, 512, 513, 65535, 65536, 1023, 1024, 1025];
    const items: NdeChunk[] = lengths.map((n, i) => ({ index: [i, 1 + i, 2 ** 32 + i, Number.MAX_SAFE_INTEGER - i][i % 4]!, data: testBytes(n, i + 1) }));
    const want = await referenceBackendV2.encryptChunks(key, salt, items);
    const got = await backend().encryptChunks(key, salt, items);
    got.forEach((g, i) => expect(same(g, want[i])).toBe(true));
    const back = await backend().decryptChunks(key, salt, items.map((it, i) => ({ index: it.index, data: want[i]! })));
    back.forEach((b, i) => expect(same(b, items[i]!.data)).toBe(true));
  }, 120_000);

  it('property: equals the reference on random keys, salts, indices, lengths and batch sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.record({ index: fc.maxSafeNat(), len: fc.oneof(fc.nat(1600), fc.constantFrom(512, 1024, 4096)), seed: fc.integer() }), {
          minLength: 1,
          maxLength: 70,
        }),
        fc.boolean(),
        async (k, s, specs, decrypt) => {
          const items = specs.map((x) => ({ index: x.index, data: testBytes(x.len, x.seed) }));
          const want = decrypt ? await referenceBackendV2.decryptChunks(k, s, items) : await referenceBackendV2.encryptChunks(k, s, items);
          const got = decrypt ? await backend().decryptChunks(k, s, items) : await backend().encryptChunks(k, s, items);
          expect(got.map((g) => bytesToHex(g))).toEqual(want.map((w) => bytesToHex(w)));
        },
      ),
      { numRuns: 20 },
    );
  }, 300_000);
});

describe('the v2 graph under every onnxruntime optimisation level', () => {
  it('disabled, basic, extended and all give the reference bytes (no optimiser rewrite changes them)', async () => {
    const ort = await _loadOrt();
    const model = await _loadModelV2();
    const params = _deriveParamsV2(key, salt);
    const items = [0, 1, 511, 512, 513, 2000, 4096].map((n, i) => ({ index: i * 1000, data: testBytes(n || 1, i + 3) }));
    try {
      for (const decrypt of [false, true]) {
        const want = decrypt ? await referenceBackendV2.decryptChunks(key, salt, items) : await referenceBackendV2.encryptChunks(key, salt, items);
        for (const graphOptimizationLevel of ['disabled', 'basic', 'extended', 'all'] as const) {
          const session = await ort.InferenceSession.create(model, { ...SESSION_OPTIONS, graphOptimizationLevel });
          try {
            const job = _packJobV2(params, items, decrypt);
            const got = _unpackJobV2(job, await runJobV2(ort, session, job), items);
            expect(`${graphOptimizationLevel} ${got.map((g) => bytesToHex(g)).join(',')}`).toBe(`${graphOptimizationLevel} ${want.map((w) => bytesToHex(w)).join(',')}`);
          } finally {
            await session.release();
          }
        }
      }
    } finally {
      _wipeParamsV2(params);
    }
  }, 120_000);
});

describe('the v2 self-test known answers', () => {
  it('are the v2 reference backend\'s outputs, for every batch size the backend uses', async () => {
    const { key: k, salt: s, cases } = _katInputsV2();
    expect(Object.keys(_KAT_V2).sort()).toEqual(cases.map((c) => c.name).sort());
    for (const b of _JOB_BATCHES) expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining([`${b}/short`, `${b}/full`]));
    for (const { name, items } of cases) {
      expect(items).toHaveLength(Number(name.split('/')[0]));
      for (const mode of ['encrypt', 'decrypt'] as const) {
        const outs = await referenceBackendV2[`${mode}Chunks`](k, s, items);
        const all = new Uint8Array(outs.reduce((n, o) => n + o.length, 0));
        outs.reduce((off, o) => (all.set(o, off), off + o.length), 0);
        expect(`${name} ${mode} ${bytesToHex(sha256(all))}`).toBe(`${name} ${mode} ${_KAT_V2[name]![mode]}`);
      }
    }
  }, 120_000);
});

describe('segmented v2 runs (chunks over 1 MiB) chain the model state output', () => {
  it('segments are 1 MiB', () => {
    expect(_SEGMENT_STEPS_V2 * 512).toBe(1 << 20);
  });

  it('a 2 MiB + 77 byte chunk through the pool (3 segments) equals the reference, both directions, beside a small chunk', async () => {
    const data = testBytes((2 << 20) + 77, 3);
    const items = [
      { index: 2 ** 32 + 5, data },
      { index: 1, data: data.subarray(0, 1000) },
    ];
    const want = await referenceBackendV2.encryptChunks(key, salt, items);
    const got = await pool.encryptChunks(key, salt, items);
    expect(same(got[0], want[0])).toBe(true);
    expect(same(got[1], want[1])).toBe(true);
    const back = await pool.decryptChunks(key, salt, items.map((it, i) => ({ index: it.index, data: want[i]! })));
    expect(same(back[0], data)).toBe(true);
    expect(same(back[1], data.subarray(0, 1000))).toBe(true);
  }, 300_000);

  it('any segment size gives the one-run output (inline session)', async () => {
    const runner = await _createInlineRunnerV2(await _loadModelV2());
    const params = _deriveParamsV2(key, salt);
    try {
      const data = testBytes(300_000 + 13, 8);
      const item = { index: 9, data };
      const whole = await _runSegmentedV2((job) => runner.run(job), params, item, false, 1 << 20);
      const [ref] = await referenceBackendV2.encryptChunks(key, salt, [item]);
      expect(same(whole, ref)).toBe(true);
      for (const steps of [1, 7, 64, 586]) {
        expect(same(await _runSegmentedV2((job) => runner.run(job), params, item, false, steps), ref)).toBe(true);
        expect(same(await _runSegmentedV2((job) => runner.run(job), params, { index: 9, data: ref! }, true, steps), data)).toBe(true);
      }
    } finally {
      _wipeParamsV2(params);
      await runner.close();
    }
  }, 300_000);

  it('the self-test refuses a session whose state output is wrong (only the segmented check sees it)', async () => {
    const real = await _createInlineRunnerV2(await _loadModelV2());
    try {
      await expect(_selfTestV2(real)).resolves.toBeUndefined();
      const faulty = {
        run: async (job: Parameters<typeof real.run>[0]) => {
          const res = await real.run(job);
          res.state[0]! ^= 1;
          return res;
        },
        close: () => real.close(),
      };
      await expect(_selfTestV2(faulty)).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED', message: expect.stringContaining('in segments') });
    } finally {
      await real.close();
    }
  }, 300_000);
});
