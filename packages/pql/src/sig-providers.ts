// Built-in signature providers from @noble/post-quantum: ML-DSA-65 (default), ML-DSA-87,
// SLH-DSA-SHA2-128s/128f and Falcon-512.
import { falcon512 as nobleFalcon512 } from '@noble/post-quantum/falcon.js';
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { slh_dsa_sha2_128f, slh_dsa_sha2_128s } from '@noble/post-quantum/slh-dsa.js';
import type { SignatureProvider } from './registry.js';
import { _concat, _randomBytes } from './_bytes.js';

type NobleSigner = typeof ml_dsa65;

function safeVerify(f: () => boolean): boolean {
  try {
    return f() === true;
  } catch {
    return false; // noble throws on some malformed encodings; for a verifier that is just "invalid"
  }
}

/** ML-DSA (FIPS 204): stored secret = 32-byte seed ξ; context passed natively. */
function mldsa(id: string, name: string, alg: NobleSigner): SignatureProvider {
  const { publicKey, signature } = alg.lengths as { publicKey: number; signature: number };
  return {
    id,
    name,
    postQuantum: true,
    seedLength: 32,
    secretLength: 32,
    publicKeyLength: publicKey,
    maxSignatureLength: signature,
    nativeContext: true,
    generate: (seed) => new Uint8Array(seed ?? _randomBytes(32)),
    load: (secret) => alg.keygen(secret),
    // Hedged signing (noble's default: fresh 32-byte rnd mixed with the key).
    sign: (sk, msg, context) => alg.sign(msg, sk, { context }),
    verify: (pk, msg, sig, context) =>
      sig.length === signature && safeVerify(() => alg.verify(sig, msg, pk, { context })),
  };
}

/** SLH-DSA (FIPS 205): stored secret = 64-byte secret key (SK.seed, SK.prf, PK.seed, PK.root). */
function slhdsa(id: string, name: string, alg: NobleSigner): SignatureProvider {
  const { signature } = alg.lengths as { signature: number };
  return {
    id,
    name,
    postQuantum: true,
    seedLength: 48,
    secretLength: 64,
    publicKeyLength: 32,
    maxSignatureLength: signature,
    nativeContext: true,
    generate: (seed) => alg.keygen(seed).secretKey,
    // The public key is the last 32 bytes of the secret key: loading is free (keygen is not).
    load: (secret) => ({ secretKey: secret, publicKey: alg.getPublicKey(secret) }),
    sign: (sk, msg, context) => alg.sign(msg, sk, { context }),
    verify: (pk, msg, sig, context) =>
      sig.length === signature && safeVerify(() => alg.verify(sig, msg, pk, { context })),
  };
}

/** ML-DSA-65 (FIPS 204, NIST category 3): the default signature scheme. */
export const mldsa65 = mldsa('mldsa65', 'ML-DSA-65', ml_dsa65);
/** ML-DSA-87 (FIPS 204, NIST category 5). */
export const mldsa87 = mldsa('mldsa87', 'ML-DSA-87', ml_dsa87);
/** SLH-DSA-SHA2-128s (FIPS 205): small signatures (7856 B), slow signing (~2 s here). */
export const slhdsaSha2_128s = slhdsa('slhdsa-sha2-128s', 'SLH-DSA-SHA2-128s', slh_dsa_sha2_128s);
/** SLH-DSA-SHA2-128f (FIPS 205): faster signing, larger signatures (17088 B). */
export const slhdsaSha2_128f = slhdsa('slhdsa-sha2-128f', 'SLH-DSA-SHA2-128f', slh_dsa_sha2_128f);

/**
 * Falcon-512 pre-message encoding. noble's Falcon takes no context string ("context is not
 * supported"); FN-DSA (draft FIPS 206) will. Until then nqc domain-separates Falcon signatures the
 * way FIPS 204 pure mode does: M' = 0x00 || len(ctx) || ctx || M. Signatures are therefore NOT
 * interchangeable with plain Falcon-512 signatures over M.
 */
function falconMessage(context: Uint8Array, msg: Uint8Array): Uint8Array {
  return _concat(Uint8Array.of(0, context.length), context, msg);
}

/**
 * Falcon-512 (round-3 / draft FN-DSA, variable-length signatures up to 666 bytes). Stored secret =
 * the 1281-byte encoded secret key (keygen costs ~0.25 s, deriving the public key ~1 ms).
 * Experimental: FIPS 206 is not final and noble's Falcon uses floating point.
 */
export const falcon512: SignatureProvider = {
  id: 'falcon512',
  name: 'Falcon-512',
  postQuantum: true,
  seedLength: 48,
  secretLength: 1281,
  publicKeyLength: 897,
  maxSignatureLength: 666,
  nativeContext: false,
  generate: (seed) => nobleFalcon512.keygen(seed).secretKey,
  load: (secret) => ({ secretKey: secret, publicKey: nobleFalcon512.getPublicKey(secret) }),
  sign: (sk, msg, context) => nobleFalcon512.sign(falconMessage(context, msg), sk),
  verify: (pk, msg, sig, context) =>
    sig.length > 0 &&
    sig.length <= 666 &&
    safeVerify(() => nobleFalcon512.verify(sig, falconMessage(context, msg), pk)),
};
