import { describe, expect, it } from '@jest/globals';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
describe('toolchain', () => {
  it('loads noble ESM under jest', () => {
    const { publicKey, secretKey } = ml_kem768_x25519.keygen();
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey);
    expect(ml_kem768_x25519.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
    expect(import.meta.url).toContain('sanity');
  });
});
