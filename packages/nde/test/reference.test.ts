import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NDE_MODEL_ID_HEX, createReferenceNde, referenceBackend } from '../src/index.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { _JOB_BATCHES, _KAT, _katInputs } from '../src/onnx/kat.js';
import { goldenVectors, thrownNdeError } from './helpers.js';
import { specCrypt } from './spec.js';

const { modelId, vectors } = goldenVectors();

describe('reference backend: golden vectors', () => {
  it('names the pinned model id', () => {
    expect(modelId).toBe(NDE_MODEL_ID_HEX);
  });
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(referenceBackend.encryptChunk(v.key, v.salt, v.index, v.plaintext)).toEqual(v.ciphertext);
    expect(referenceBackend.decryptChunk(v.key, v.salt, v.index, v.ciphertext)).toEqual(v.plaintext);
  });
  it('batch calls give the same bytes as single calls', async () => {
    const withKey = vectors.filter((v) => v.name.startsWith('good_'));
    for (const v of withKey) {
      const [ct] = await referenceBackend.encryptChunks(v.key, v.salt, [{ index: v.index, data: v.plaintext }]);
      expect(ct).toEqual(v.ciphertext);
    }
  });
});

describe('the ONNX self-test known answers', () => {
  it('are what the reference backend (the specification) computes, for every case', async () => {
    const { key, salt, cases } = _katInputs();
    expect(Object.keys(_KAT).sort()).toEqual(cases.map((c) => c.name).sort());
    for (const { name, items } of cases) {
      for (const mode of ['encrypt', 'decrypt'] as const) {
        const outs = mode === 'encrypt' ? await referenceBackend.encryptChunks(key, salt, items) : await referenceBackend.decryptChunks(key, salt, items);
        const all = new Uint8Array(outs.reduce((n, o) => n + o.length, 0));
        outs.reduce((off, o) => (all.set(o, off), off + o.length), 0);
        expect(`${name} ${mode} ${bytesToHex(sha256(all))}`).toBe(`${name} ${mode} ${_KAT[name]![mode]}`);
      }
    }
  });

  it('cover every job batch size the ONNX backend uses, with short and full blocks', () => {
    const { cases } = _katInputs();
    for (const batch of _JOB_BATCHES) {
      const at = cases.filter((c) => c.items.length === batch);
      expect(at.some((c) => c.items.every((i) => i.data.length % 128 === 0))).toBe(true);
      expect(at.some((c) => c.items.some((i) => i.data.length % 128 !== 0))).toBe(true);
      expect(at.every((c) => c.items.every((i) => i.data.length > 0))).toBe(true);
    }
  });
});

describe('reference backend: matches the plain specification', () => {
  it('on random keys, salts, indices and lengths (encrypt and decrypt)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.maxSafeNat(),
        fc.uint8Array({ maxLength: 400 }),
        fc.boolean(),
        (key, salt, index, data, decrypt) => {
          const nde = createReferenceNde();
          const got = decrypt ? nde.decryptChunk(key, salt, index, data) : nde.encryptChunk(key, salt, index, data);
          expect(got).toEqual(specCrypt(key, salt, index, data, decrypt));
        },
      ),
      { numRuns: 40 },
    );
  });
  it('round-trips and keeps lengths', () => {
    const key = new Uint8Array(32).fill(7);
    const salt = new Uint8Array(16).fill(9);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(2 ** 32), (data, index) => {
        const ct = referenceBackend.encryptChunk(key, salt, index, data);
        expect(ct.length).toBe(data.length);
        expect(referenceBackend.decryptChunk(key, salt, index, ct)).toEqual(data);
      }),
      { numRuns: 100 },
    );
  });
  it('a prefix of the plaintext gives a prefix of the ciphertext (the chain only runs forward)', () => {
    const key = new Uint8Array(32).fill(1);
    const data = new Uint8Array(1000).fill(0x5a);
    const full = referenceBackend.encryptChunk(key, new Uint8Array(0), 3, data);
    for (const n of [0, 1, 127, 128, 129, 999]) {
      expect(referenceBackend.encryptChunk(key, new Uint8Array(0), 3, data.subarray(0, n))).toEqual(full.subarray(0, n));
    }
  });
});

describe('reference backend: input checks (fail_*)', () => {
  const key = new Uint8Array(32);
  const salt = new Uint8Array(16);
  const data = new Uint8Array(4);
  const code = thrownNdeError;
  it('fail_key_length', () => {
    expect(code(() => referenceBackend.encryptChunk(new Uint8Array(31), salt, 0, data))).toBe(
      'ERR_NDE_INVALID_INPUT: "key" expected Uint8Array of length 32, got length=31',
    );
  });
  it('fail_key_type', () => {
    expect(code(() => referenceBackend.encryptChunk('k' as unknown as Uint8Array, salt, 0, data))).toBe(
      'ERR_NDE_INVALID_INPUT: "key" expected Uint8Array of length 32, got type=string',
    );
  });
  it('fail_salt_too_long', () => {
    expect(code(() => referenceBackend.encryptChunk(key, new Uint8Array(1025), 0, data))).toBe(
      'ERR_NDE_INVALID_INPUT: "salt" expected Uint8Array of length at most 1024, got length=1025',
    );
  });
  it.each([[-1], [1.5], [2 ** 53], [Number.NaN], [Infinity]])('fail_index %p', (index) => {
    expect(code(() => referenceBackend.decryptChunk(key, salt, index, data))).toMatch(
      /^ERR_NDE_INVALID_INPUT: "index" expected a non-negative safe integer/,
    );
  });
  it('fail_data_type', () => {
    expect(code(() => referenceBackend.encryptChunk(key, salt, 0, [1, 2] as unknown as Uint8Array))).toBe(
      'ERR_NDE_INVALID_INPUT: "data" expected Uint8Array, got type=object',
    );
  });
  it('fail_items (rejected promise, not a throw)', async () => {
    await expect(referenceBackend.encryptChunks(key, salt, [{ index: -2, data }])).rejects.toMatchObject({
      code: 'ERR_NDE_INVALID_INPUT',
      message: '"items[0].index" expected a non-negative safe integer, got -2',
    });
    await expect(referenceBackend.encryptChunks(key, salt, {} as never)).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
  });
});
