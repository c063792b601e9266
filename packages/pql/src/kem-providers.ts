// Built-in KEM providers: X-Wing (default) and ML-KEM-1024 (high-security), both from
// @noble/post-quantum. No home-made combiner: X-Wing is noble's `ml_kem768_x25519`
// (draft-connolly-cfrg-xwing-kem), whose own combiner binds both shared secrets, ciphertexts and keys.
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import type { KemProvider } from './registry.js';

/**
 * X-Wing: ML-KEM-768 + X25519 hybrid KEM. Secret = 32-byte seed (noble's X-Wing secret key *is* the
 * seed); public key 1216 bytes; ciphertext 1120 bytes. The default recipient type.
 */
export const xwing: KemProvider = {
  id: 'xwing',
  name: 'X-Wing (ML-KEM-768 + X25519)',
  postQuantum: true,
  label: 'nqc/v1/pql/xwing',
  seedLength: 32,
  publicKeyLength: 1216,
  cipherTextLength: 1120,
  // noble takes 64 bytes: 32 for ML-KEM-768's message, 32 for the ephemeral X25519 key.
  encapsulationRandomnessLength: 64,
  keygen: (seed) => ml_kem768_x25519.keygen(seed),
  encapsulate: (pk, rand) => ml_kem768_x25519.encapsulate(pk, rand),
  decapsulate: (ct, sk) => ml_kem768_x25519.decapsulate(ct, sk),
};

/**
 * ML-KEM-1024 (FIPS 203), the high-security recipient type. Secret = 64-byte seed (d || z);
 * public key 1568 bytes; ciphertext 1568 bytes.
 */
export const mlkem1024: KemProvider = {
  id: 'mlkem1024',
  name: 'ML-KEM-1024',
  postQuantum: true,
  label: 'nqc/v1/pql/mlkem1024',
  seedLength: 64,
  publicKeyLength: 1568,
  cipherTextLength: 1568,
  encapsulationRandomnessLength: 32,
  keygen: (seed) => ml_kem1024.keygen(seed),
  encapsulate: (pk, rand) => ml_kem1024.encapsulate(pk, rand),
  decapsulate: (ct, sk) => ml_kem1024.decapsulate(ct, sk),
};
