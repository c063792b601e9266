// Finding #1 of the security review: without a key commitment in the signed header, a dishonest
// signer signs once and ships two envelopes that open to different plaintexts (AES-GCM is not
// key-committing). With the commitment, the second envelope no longer opens.
import { describe, expect, it } from '@jest/globals';
import { bytesSource, decryptEnvelope, deriveKeys, keyCommitment, nobleProvider, parseHeader, rewriteHeader, verifyEnvelopeSignature, chunkNonce } from '../src/index.js';
import { nodeProvider } from '../src/node.js';
import { codeOf, seeded, testSigner, testStanza, testUnwrap, testVerify } from './helpers.js';
import { gcmCollision, twoFacedEnvelopes } from './two-faced.js';
import { buildHeader, splitHeader, SIGNER_KEY } from './vectors/generate.js';

const K1 = seeded('kc/k1', 32);
const K2 = seeded('kc/k2', 32);
const SALT = seeded('kc/salt', 32);
const open = (env: Uint8Array, provider = nobleProvider) => decryptEnvelope(env, { unwrap: testUnwrap, verify: testVerify, requireSignature: true, provider });

describe('key commitment (two-faced signed envelopes)', () => {
  it('the GCM collision is real: one sealed chunk opens under both payload keys', () => {
    const k1 = deriveKeys(K1, SALT).payload;
    const k2 = deriveKeys(K2, SALT).payload;
    const nonce = chunkNonce(0, true);
    const { sealed, p1, p2 } = gcmCollision(k1, k2, nonce, seeded('c1', 16), seeded('c2', 16));
    expect(nodeProvider.aead('aes-256-gcm', k1).open(nonce, sealed)).toEqual(p1);
    expect(nodeProvider.aead('aes-256-gcm', k2).open(nonce, sealed)).toEqual(p2);
    expect(p1).not.toEqual(p2);
  });

  it('the second face of a signed envelope is refused (ERR_FORMAT_DECRYPT_FAILED)', async () => {
    const { honest, evil, p1 } = await twoFacedEnvelopes(K1, K2, SALT, testSigner(SIGNER_KEY), buildHeader, splitHeader);
    for (const provider of [nobleProvider, nodeProvider]) {
      expect((await open(honest, provider)).plaintext).toEqual(p1);
      // Before the fix this opened to p2 with a valid signature by the same signer.
      expect(await codeOf(() => open(evil, provider))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    }
    // Keyless verification still accepts it (it cannot see the file key), but nobody can open it.
    expect(await codeOf(() => verifyEnvelopeSignature(bytesSource(evil), testVerify))).toBe('NO_ERROR');
  });

  it('committing to the second key instead breaks the signature', async () => {
    const { evil, p2, headerLength } = await twoFacedEnvelopes(K1, K2, SALT, testSigner(SIGNER_KEY), buildHeader, splitHeader);
    const { sections } = splitHeader(evil);
    const fixed = sections.map((s) => {
      if (s.type !== 0x8001) return s;
      const body = s.body.slice();
      body.set(keyCommitment(K2, SALT), body.length - 32);
      return { type: s.type, body };
    });
    const env = new Uint8Array([...buildHeader(fixed, K2, SALT), ...evil.subarray(headerLength)]);
    expect(await codeOf(() => open(env))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    // without a signature requirement it opens: an unsigned claim is no claim
    const r = await decryptEnvelope(env, { unwrap: testUnwrap });
    expect(r.plaintext).toEqual(p2);
  });

  it('the commitment is in the suite section, signed, and survives rewriteHeader', async () => {
    const env = await decryptEnvelope(
      (await import('../src/index.js').then((m) => m.encryptEnvelope(seeded('x', 10), { fileKey: K1, salt: SALT, stanzas: [testStanza(K1)], signer: testSigner(SIGNER_KEY) }))),
      { unwrap: testUnwrap, verify: testVerify, requireSignature: true },
    );
    expect(env.header.suite.commit).toEqual(keyCommitment(K1, SALT));
    expect(env.header.suite.commit).toEqual(deriveKeys(K1, SALT).commit);
    const signedBytes = env.header.signedBytes;
    const { header } = rewriteHeader(env.header.bytes, K1, [testStanza(K1), testStanza(K2)]);
    const h2 = parseHeader(header);
    expect(h2.suite.commit).toEqual(env.header.suite.commit);
    expect(h2.signedBytes).toEqual(signedBytes);
  });
});
