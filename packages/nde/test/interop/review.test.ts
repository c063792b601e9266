// Findings of the adversarial review of the NDE v2 backends (2026-12-02), one test each.
//
// `it.failing` marks a bug that is still open: the test states the correct behaviour, and jest
// reports it as passing only while that behaviour is absent. When a fix lands, the `it.failing` turns
// red: change it to `it` (and keep it). Controls (`it`) show the property holds for the reference.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createOnnxBackendV2, createWasmNde, referenceBackendV2, type NdeBackend } from '../../src/node.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 5) & 0xff);
const salt = new TextEncoder().encode('nde v2 review');
const plain = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 1) & 0xff);

let onnx: NdeBackend & { ready(): Promise<void> };
let onnxPool: NdeBackend & { ready(): Promise<void> };
let wasm: NdeBackend & { ready(): Promise<void> };
beforeAll(async () => {
  onnx = createOnnxBackendV2({ workers: 0 });
  onnxPool = createOnnxBackendV2({ workers: 1 });
  wasm = createWasmNde();
  await Promise.all([onnx.ready(), onnxPool.ready(), wasm.ready()]);
}, 240_000); // sessions and self-tests on a loaded machine
afterAll(async () => {
  await Promise.all([onnx.close(), onnxPool.close(), wasm.close()]);
});

const backends = (): [string, NdeBackend][] => [
  ['onnx (inline)', onnx],
  ['onnx (pool)', onnxPool],
  ['wasm (inline)', wasm],
];

/**
 * Calls the backend, then overwrites the caller's key and plaintext before awaiting, as a caller that
 * recycles its buffers does once the call has returned (WebCrypto copies its inputs at call time).
 */
async function encryptThenWipe(b: NdeBackend): Promise<string> {
  const k = new Uint8Array(key);
  const d = new Uint8Array(plain);
  const p = b.encryptChunks(k, salt, [{ index: 3, data: d }]);
  k.fill(0);
  d.fill(0);
  return bytesToHex((await p)[0]!);
}

describe('finding 1: the fast v2 backends read key and data after an await', () => {
  it('control: the reference backend uses the inputs as they were at call time', async () => {
    const [want] = await referenceBackendV2.encryptChunks(key, salt, [{ index: 3, data: plain }]);
    expect(await encryptThenWipe(referenceBackendV2)).toBe(bytesToHex(want!));
  });
  // Fixed for ONNX (runBatch packs the jobs, copies included, before its first await).
  it.each([['onnx (inline)'], ['onnx (pool)']])(
    '%s gives the reference bytes when the caller reuses its buffers after the call',
    async (name) => {
      const b = new Map(backends()).get(name)!;
      const [want] = await referenceBackendV2.encryptChunks(key, salt, [{ index: 3, data: plain }]);
      expect(await encryptThenWipe(b)).toBe(bytesToHex(want!));
    },
  );
  // Fixed for wasm (src/wasm/backend.ts reads every input before the call returns).
  it.each([['wasm (inline)']])('%s gives the reference bytes when the caller reuses its buffers after the call', async (name) => {
    const b = new Map(backends()).get(name)!;
    const [want] = await referenceBackendV2.encryptChunks(key, salt, [{ index: 3, data: plain }]);
    expect(await encryptThenWipe(b)).toBe(bytesToHex(want!));
  });
});

describe('finding 2: a one-chunk ONNX v2 result is a view whose buffer holds the rest of the last step: raw keystream', () => {
  const slackOf = (out: Uint8Array): Uint8Array => new Uint8Array(out.buffer, out.byteOffset + out.byteLength, out.buffer.byteLength - out.byteOffset - out.byteLength);
  it('control: the reference and wasm backends return buffers of exactly the chunk', async () => {
    for (const b of [referenceBackendV2, wasm]) {
      const [ct] = await b.encryptChunks(key, salt, [{ index: 0, data: new Uint8Array(1) }]);
      expect(slackOf(ct!).length).toBe(0);
    }
  });
  it.each([['inline'], ['pool']])('onnx (%s): encrypting 1 byte leaves no keystream in the result\'s ArrayBuffer', async (which) => {
    const b = which === 'inline' ? onnx : onnxPool;
    const [ct] = await b.encryptChunks(key, salt, [{ index: 0, data: new Uint8Array(1) }]);
    const [pt] = await b.decryptChunks(key, salt, [{ index: 0, data: ct! }]);
    // Anyone holding the result can read ct.buffer (Buffer.from(ct.buffer), postMessage transfer, ...).
    expect({ ct: bytesToHex(slackOf(ct!)), pt: slackOf(pt!).length }).toEqual({ ct: '', pt: 0 });
    // Before the fix ct's slack was keystream bytes 1..511 of step 0 (the model zero-pads the step), pt's their negation.
  });
});

describe('spec note (docs/nde-v2-spec.md section 1): HMAC zero-pads its key to 64 bytes', () => {
  it('so a salt of up to 64 bytes and the same salt with zero bytes appended (up to 64) give the same keystream, not only empty vs 32 zeros', async () => {
    const data = new Uint8Array(600);
    const out = async (s: Uint8Array) => bytesToHex((await referenceBackendV2.encryptChunks(key, s, [{ index: 1, data }]))[0]!);
    const s = Uint8Array.of(1, 2, 3);
    const padded = new Uint8Array(64);
    padded.set(s);
    expect(await out(Uint8Array.of(1, 2, 3, 0))).toBe(await out(s));
    expect(await out(padded)).toBe(await out(s));
    expect(await out(new Uint8Array(65))).not.toBe(await out(s)); // over 64 bytes the salt is hashed first
    expect(await out(new Uint8Array(7))).toBe(await out(new Uint8Array(0)));
  });
});
