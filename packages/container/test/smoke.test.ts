import { describe, expect, it } from '@jest/globals';
import { decryptEnvelope, encryptEnvelope, armor } from '../src/index.js';
import { nodeProvider } from '../src/node.js';
import { seeded, testStanza, testUnwrap, testSigner, testVerify, xorInner } from './helpers.js';

describe('smoke', () => {
  it('round trips', async () => {
    const fileKey = seeded('k', 32);
    const pt = seeded('pt', 1000);
    for (const provider of [undefined, nodeProvider]) {
      const env = await encryptEnvelope(pt, { fileKey, stanzas: [testStanza(fileKey)], chunkSize: 64, provider, signer: testSigner(seeded('s', 32)), inner: xorInner(seeded('id', 32)) });
      const out = await decryptEnvelope(env, { unwrap: testUnwrap, verify: testVerify, requireSignature: true, inner: xorInner(seeded('id', 32)), provider });
      expect(out.plaintext).toEqual(pt);
      const out2 = await decryptEnvelope(armor(env), { unwrap: testUnwrap, inner: xorInner(seeded('id', 32)) });
      expect(out2.plaintext).toEqual(pt);
    }
  });
});
