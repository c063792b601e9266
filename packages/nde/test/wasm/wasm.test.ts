// The WebAssembly backend against the NDE v2 specification: known answers, edge sizes and batch
// shapes, random inputs, bad input, close and wipe, and the self-test refusing a miscomputing module.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NdeWasmKernel } from '../../wasm/kernel.mjs';
import { referenceBackendV2 } from '../../src/index.js';
import { _createWasmBackend, createWasmNde } from '../../src/wasm/backend.js';
import { _WASM_KAT, _wasmKatInputs } from '../../src/wasm/kat.js';
import { _wasmModuleBytes } from '../../src/wasm/module.js';
import { testBytes } from '../helpers.js';
import { specCryptV2 } from '../v2/spec.js';

/** Digests of byte arrays: jest's toEqual walks big typed arrays element by element (slow). */
const digests = (xs: readonly Uint8Array[]): string[] => xs.map((x) => `${x.length}:${bytesToHex(sha256(x))}`);

const key = testBytes(32, 11);
const salt = testBytes(16, 12);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

describe('known answers', () => {
  it('kat.ts holds what the specification computes', () => {
    const { key: k, salt: s, cases } = _wasmKatInputs();
    for (const { name, items } of cases) {
      for (const decrypt of [false, true]) {
        const got = bytesToHex(sha256(concat(items.map((it) => specCryptV2(k, s, it.index, it.data, decrypt)))));
        expect([name, got]).toEqual([name, _WASM_KAT[name]![decrypt ? 'decrypt' : 'encrypt']]);
      }
    }
  }, 120_000);
});

describe('createWasmNde (kernel in this thread)', () => {
  it('names itself: wasm, version 2, the v2 model id', async () => {
    const nde = createWasmNde();
    expect(nde.name).toBe('wasm');
    expect(nde.version).toBe(2);
    expect(nde.modelId).toHaveLength(32);
    await nde.close();
  });

  it('edge sizes and batch shapes equal the reference, both directions', async () => {
    const nde = createWasmNde();
    const sizes = [0, 1, 2, 63, 64, 511, 512, 513, 1023, 1024, 1025, 65535, 65536, 65536 + 511, 65536 + 512, 65536 + 513, 200_000];
    // one call per size, then all sizes in one batch, then reversed (other pairings in the kernel)
    const batches = [...sizes.map((n) => [n]), sizes, [...sizes].reverse(), [5, 5, 5], [512, 512]];
    for (const lens of batches) {
      const items = lens.map((n, i) => ({ index: i * 977 + n, data: testBytes(n, n + i + 1) }));
      const want = await referenceBackendV2.encryptChunks(key, salt, items);
      const ct = await nde.encryptChunks(key, salt, items);
      expect(digests(ct)).toEqual(digests(want));
      const pt = await nde.decryptChunks(key, salt, items.map((it, i) => ({ index: it.index, data: ct[i]! })));
      expect(digests(pt)).toEqual(digests(items.map((it) => it.data)));
      expect(digests(await nde.decryptChunks(key, salt, items))).toEqual(digests(await referenceBackendV2.decryptChunks(key, salt, items)));
    }
    await nde.close();
  }, 300_000);

  it('random keys, salts, indices and lengths equal the reference (and the plain specification)', async () => {
    const nde = createWasmNde();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.record({ index: fc.maxSafeNat(), data: fc.uint8Array({ maxLength: 3000 }) }), { maxLength: 5 }),
        fc.boolean(),
        async (k, s, items, decrypt) => {
          const got = await (decrypt ? nde.decryptChunks(k, s, items) : nde.encryptChunks(k, s, items));
          expect(got).toEqual(await (decrypt ? referenceBackendV2.decryptChunks(k, s, items) : referenceBackendV2.encryptChunks(k, s, items)));
          const first = items[0];
          if (first) expect(got[0]).toEqual(specCryptV2(k, s, first.index, first.data, decrypt));
        },
      ),
      { numRuns: 60 },
    );
    await nde.close();
  }, 300_000);

  it('does not alter its inputs, and a result is independent of other calls', async () => {
    const nde = createWasmNde();
    const data = testBytes(3000, 5);
    const copy = new Uint8Array(data);
    const keyCopy = new Uint8Array(key);
    const [a] = await nde.encryptChunks(key, salt, [{ index: 3, data }]);
    await nde.encryptChunks(testBytes(32, 99), salt, [{ index: 3, data }]); // another key replaces the cache
    expect(data).toEqual(copy);
    expect(a).toEqual(specCryptV2(key, salt, 3, data, false));
    await nde.close();
    expect(key).toEqual(keyCopy); // close wipes its own copies only
  });

  it('fail_bad_input: typed ERR_NDE_INVALID_INPUT rejections', async () => {
    const nde = createWasmNde();
    const ok = [{ index: 0, data: new Uint8Array(1) }];
    const bad: [unknown, unknown, unknown][] = [
      [new Uint8Array(31), salt, ok],
      ['k', salt, ok],
      [key, new Uint8Array(1025), ok],
      [key, null, ok],
      [key, salt, 'items'],
      [key, salt, [{ index: -1, data: new Uint8Array(1) }]],
      [key, salt, [{ index: 1.5, data: new Uint8Array(1) }]],
      [key, salt, [{ index: 2 ** 53, data: new Uint8Array(1) }]],
      [key, salt, [{ index: 0, data: [1, 2] }]],
      [key, salt, [null]],
    ];
    for (const [k, s, items] of bad) {
      await expect(nde.encryptChunks(k as Uint8Array, s as Uint8Array, items as never)).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
      await expect(nde.decryptChunks(k as Uint8Array, s as Uint8Array, items as never)).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
    }
    await nde.close();
  });

  it('close wipes the kernel memory (weights, states, data) and later calls reject ERR_NDE_CLOSED', async () => {
    // Observe the kernel instance the backend uses (its memory is the field `mem`).
    const runChunks = NdeWasmKernel.prototype.runChunks;
    const seen = new Set<NdeWasmKernel>();
    NdeWasmKernel.prototype.runChunks = function (this: NdeWasmKernel, job, src, dst) {
      seen.add(this);
      runChunks.call(this, job, src, dst);
    };
    try {
      const nde = _createWasmBackend();
      await nde.encryptChunks(key, salt, [{ index: 1, data: testBytes(5000, 1) }]);
      expect(seen.size).toBe(1);
      const [k] = [...seen];
      const mem = (k as unknown as { mem: Uint8Array }).mem;
      expect(mem.some((b) => b !== 0)).toBe(true); // weights are held between calls
      // between calls only the weights remain: states and data windows are scrubbed after each job
      expect(mem.subarray(81920).every((b) => b === 0)).toBe(true);
      await nde.close();
      expect(mem.every((b) => b === 0)).toBe(true);
      await expect(nde.encryptChunks(key, salt, [{ index: 1, data: new Uint8Array(1) }])).rejects.toMatchObject({ code: 'ERR_NDE_CLOSED' });
      await nde.close(); // idempotent
    } finally {
      NdeWasmKernel.prototype.runChunks = runChunks;
    }
  });
});

describe('self-test', () => {
  it('fail_self_test: a module with another mixing constant is refused with ERR_NDE_SELF_TEST_FAILED, every time', async () => {
    const bytes = _wasmModuleBytes();
    // v128.const i32x4 0x9E3779B1 x4, little-endian: replace by another odd constant (0x9E3779B3)
    const pattern = [0xb1, 0x79, 0x37, 0x9e];
    let patched = 0;
    for (let i = 0; i + 16 <= bytes.length; i++) {
      if ([...Array(16).keys()].every((j) => bytes[i + j] === pattern[j % 4])) {
        for (let j = 0; j < 16; j += 4) bytes[i + j] = 0xb3;
        patched++;
      }
    }
    expect(patched).toBe(1);
    const nde = _createWasmBackend({ moduleBytes: bytes });
    const items = [{ index: 0, data: new Uint8Array(10) }];
    await expect(nde.encryptChunks(key, salt, items)).rejects.toMatchObject({
      code: 'ERR_NDE_SELF_TEST_FAILED',
      message: 'WebAssembly backend disagrees with the NDE v2 known answers (encrypt, one/1): refusing to run',
    });
    await expect(nde.ready()).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED' });
    await nde.close();
  });

  it('bytes that are not a module: ERR_NDE_BACKEND_UNAVAILABLE', async () => {
    const nde = _createWasmBackend({ moduleBytes: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) });
    await expect(nde.ready()).rejects.toMatchObject({ code: 'ERR_NDE_BACKEND_UNAVAILABLE' });
    await nde.close();
  });
});

describe('close while the first call waits for the start', () => {
  it('the waiting call rejects with ERR_NDE_CLOSED and the kernel memory stays zero', async () => {
    const runChunks = NdeWasmKernel.prototype.runChunks;
    const seen = new Set<NdeWasmKernel>();
    NdeWasmKernel.prototype.runChunks = function (this: NdeWasmKernel, job, src, dst) {
      seen.add(this);
      runChunks.call(this, job, src, dst);
    };
    try {
      const nde = _createWasmBackend();
      const pending = nde.encryptChunks(key, salt, [{ index: 0, data: testBytes(2000, 3) }]);
      const closing = nde.close();
      await expect(pending).rejects.toMatchObject({ code: 'ERR_NDE_CLOSED' });
      await closing;
      for (const k of seen) expect((k as unknown as { mem: Uint8Array }).mem.every((b) => b === 0)).toBe(true);
    } finally {
      NdeWasmKernel.prototype.runChunks = runChunks;
    }
  });
});
