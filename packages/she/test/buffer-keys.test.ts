// Key sets and bundles decoded from Node Buffers: Buffer.prototype.slice is a VIEW, so a decoder that
// kept `bytes.slice(...)` aliased the caller's buffer. Disposing the key set then wiped the caller's
// buffer, and a caller reusing its buffer changed the secret key the key set re-encodes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EvaluationBundle, HeKeySet } from '../src/index.js';

let keys: HeKeySet;
let encoded: Uint8Array;
beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  encoded = await keys.encode();
}, 120_000);
afterAll(() => keys.dispose());

describe('HE keys from Node Buffers', () => {
  it('dispose() of a key set decoded from a Buffer leaves the Buffer intact', async () => {
    const buf = Buffer.from(encoded);
    const k = await HeKeySet.decode(buf);
    k.dispose();
    expect(new Uint8Array(buf)).toEqual(encoded);
  }, 120_000);

  it('reusing the Buffer after decode does not change the key set', async () => {
    const buf = Buffer.from(encoded);
    const k = await HeKeySet.decode(buf);
    try {
      buf.fill(0);
      expect(await k.encode()).toEqual(encoded);
      expect(k.keyId).toBe(keys.keyId);
    } finally {
      k.dispose();
    }
  }, 120_000);

  it('an evaluation bundle decoded from a Buffer owns its bytes', async () => {
    const bundleBytes = await (await keys.evaluationBundle()).encode();
    const buf = Buffer.from(bundleBytes);
    const bundle = await EvaluationBundle.decode(buf);
    const publicKey = Uint8Array.from(bundle.publicKey);
    buf.fill(0xaa);
    expect(new Uint8Array(bundle.publicKey)).toEqual(publicKey);
    expect(await bundle.encode()).toEqual(bundleBytes);
  }, 120_000);
});
