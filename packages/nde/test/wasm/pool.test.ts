// The WebAssembly backend through @nqc/nde/node: createNde({ backend: 'wasm', version: 2, workers })
// and its worker-thread pool give the same bytes as the reference; the self-test guards every worker.
import { afterAll, describe, expect, it } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createNde, createWasmBackend, referenceBackendV2, type NdeBackend } from '../../src/node.js';
import { _createWasmBackendNode } from '../../src/wasm/pool.js';
import { _wasmModuleBytes } from '../../src/wasm/module.js';
import { testBytes } from '../helpers.js';
import { mod251, v2Golden } from '../v2/golden.js';

/** Digests of byte arrays: jest's toEqual walks big typed arrays element by element (slow). */
const digests = (xs: readonly Uint8Array[]): string[] => xs.map((x) => `${x.length}:${bytesToHex(sha256(x))}`);

const { vectors, batches } = v2Golden();
const opened: NdeBackend[] = [];
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

async function open(workers: number): Promise<NdeBackend> {
  const nde = await createNde({ version: 2, backend: 'wasm', workers });
  opened.push(nde);
  return nde;
}

describe.each([0, 2])('createNde({ version: 2, backend: "wasm", workers: %i })', (workers) => {
  it('is the wasm v2 backend', async () => {
    const nde = await open(workers);
    expect([nde.name, nde.version]).toEqual(['wasm', 2]);
  }, 60_000);

  it('reproduces every golden vector (test/vectors/nde-v2-golden.json), both directions', async () => {
    const nde = await open(workers);
    for (const v of vectors) {
      const [ct] = await nde.encryptChunks(v.key, v.salt, [{ index: v.index, data: v.plaintext }]);
      expect([v.name, bytesToHex(sha256(ct!)), bytesToHex(ct!.subarray(0, 64))]).toEqual([v.name, v.ciphertextSha256, v.ciphertextHead]);
      if (v.ciphertext) expect(ct).toEqual(v.ciphertext);
      const [pt] = await nde.decryptChunks(v.key, v.salt, [{ index: v.index, data: ct! }]);
      expect(digests([pt!])).toEqual(digests([v.plaintext]));
    }
  }, 120_000);

  it('reproduces every golden batch in one call, both directions', async () => {
    const nde = await open(workers);
    for (const b of batches) {
      const pts = b.items.map((it) => ({ index: it.index, data: mod251(it.length) }));
      const cts = await nde.encryptChunks(b.key, b.salt, pts);
      expect([b.name, cts.map((c) => [bytesToHex(sha256(c)), bytesToHex(c.subarray(0, 64))])]).toEqual([
        b.name,
        b.items.map((it) => [it.ciphertextSha256, it.ciphertextHead]),
      ]);
      expect(digests(await nde.decryptChunks(b.key, b.salt, cts.map((data, i) => ({ index: b.items[i]!.index, data }))))).toEqual(
        digests(pts.map((p) => p.data)),
      );
    }
  }, 120_000);

  it('equals the reference on random batches, several calls in flight with different keys', async () => {
    const nde = await open(workers);
    const calls = Array.from({ length: 12 }, (_, c) => {
      const key = testBytes(32, 100 + (c % 3)); // three keys interleaved: the weight cache is exercised
      const salt = testBytes(c % 5, 200 + c);
      const lens = Array.from({ length: 1 + (c % 7) }, (_, i) => [0, 1, 511, 512, 513, 65536, 70_000, 3000][(c + i * 3) % 8]!);
      const items = lens.map((n, i) => ({ index: c * 1000 + i * (2 ** 32 - 1), data: testBytes(n, c * 31 + i + 1) }));
      return { key, salt, items, decrypt: c % 2 === 1 };
    });
    const got = await Promise.all(calls.map((c) => (c.decrypt ? nde.decryptChunks(c.key, c.salt, c.items) : nde.encryptChunks(c.key, c.salt, c.items))));
    for (const [i, c] of calls.entries()) {
      const want = await (c.decrypt ? referenceBackendV2.decryptChunks(c.key, c.salt, c.items) : referenceBackendV2.encryptChunks(c.key, c.salt, c.items));
      expect(digests(got[i]!)).toEqual(digests(want));
    }
  }, 180_000);

  it('a large batch (64 chunks of 64 KiB, more jobs than workers) equals the reference', async () => {
    const nde = await open(workers);
    const key = testBytes(32, 7);
    const salt = testBytes(16, 8);
    const items = Array.from({ length: 64 }, (_, i) => ({ index: i, data: testBytes(i === 63 ? 1234 : 65536, i + 1) }));
    const got = await nde.encryptChunks(key, salt, items);
    expect(digests(got)).toEqual(digests(await referenceBackendV2.encryptChunks(key, salt, items)));
  }, 180_000);
});

describe('pool lifecycle and failures', () => {
  it('close rejects later calls with ERR_NDE_CLOSED and lets the workers exit', async () => {
    const nde = createWasmBackend({ workers: 2 });
    await nde.encryptChunks(testBytes(32, 1), new Uint8Array(0), [{ index: 0, data: new Uint8Array(100) }]);
    await nde.close();
    await expect(nde.encryptChunks(testBytes(32, 1), new Uint8Array(0), [{ index: 0, data: new Uint8Array(1) }])).rejects.toMatchObject({
      code: 'ERR_NDE_CLOSED',
    });
  }, 60_000);

  it('fail_self_test: every worker runs the self-test; a miscomputing module is refused', async () => {
    const bytes = _wasmModuleBytes();
    for (let i = 0; i + 4 <= bytes.length; i++) {
      if (bytes[i] === 0xb1 && bytes[i + 1] === 0x79 && bytes[i + 2] === 0x37 && bytes[i + 3] === 0x9e) bytes[i] = 0xb3;
    }
    const nde = _createWasmBackendNode({ workers: 2 }, { moduleBytes: bytes });
    await expect(nde.ready()).rejects.toMatchObject({ code: 'ERR_NDE_SELF_TEST_FAILED' });
    await nde.close();
  }, 60_000);

  it('fail_bad_workers: ERR_NDE_INVALID_INPUT', () => {
    for (const workers of [-1, 1.5, 65, Number.NaN]) {
      expect(() => createWasmBackend({ workers })).toThrow(expect.objectContaining({ code: 'ERR_NDE_INVALID_INPUT' }));
    }
  });
});

describe('inputs are read when the call is made (a caller may reuse its buffers once the call returns)', () => {
  const cases: [string, () => NdeBackend][] = [
    ['calling thread, not started yet (the first call waits for the self-test)', () => createWasmBackend({ workers: 0 })],
    ['worker pool, not started yet', () => createWasmBackend({ workers: 2 })],
  ];
  it.each(cases)('%s, then started', async (_name, make) => {
    const nde = make();
    opened.push(nde);
    for (let round = 0; round < 2; round++) {
      const key = testBytes(32, 40 + round);
      const salt = testBytes(8, 50 + round);
      const items = [0, 1, 2].map((i) => ({ index: i, data: testBytes(3000 + i * 70_000, 60 + i + round) }));
      const want = await referenceBackendV2.encryptChunks(key, salt, items);
      const k = new Uint8Array(key);
      const s = new Uint8Array(salt);
      const mine = items.map((it) => ({ index: it.index, data: new Uint8Array(it.data) }));
      const p = nde.encryptChunks(k, s, mine);
      k.fill(0);
      s.fill(0);
      for (const it of mine) it.data.fill(0);
      mine[0]!.index = 99; // the item objects too
      const got = await p;
      expect(digests(got)).toEqual(digests(want));
      // every result is a buffer of exactly its chunk (nothing of other chunks or keystream rides along)
      expect(got.map((g) => g.buffer.byteLength)).toEqual(got.map((g) => g.length));
    }
  }, 120_000);
});
