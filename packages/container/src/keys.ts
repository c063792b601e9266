import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { checkBytes } from './errors.js';
import { utf8 } from './bytes.js';

/** Length of the file key and of the header salt, in bytes. */
export const FILE_KEY_LENGTH = 32;
/** Length of the salt carried in the header. */
export const SALT_LENGTH = 32;

/**
 * Every HKDF-SHA-256 `info` label of format v1. All keys are `HKDF(ikm = fileKey, salt = header salt,
 * info = label, L = 32)`; distinct labels make the keys independent (docs/format-rationale.md).
 */
export const LABELS = Object.freeze({
  /** HMAC-SHA-256 key of the header MAC. */
  header: 'nqc/v1/header',
  /** AEAD key of the payload chunks. */
  payload: 'nqc/v1/payload',
  /** Key handed to the inner layer (NDE). */
  inner: 'nqc/v1/nde',
  /**
   * Key commitment written in the suite section (signed): `HKDF(K, salt, "nqc/v1/commit", 32)`. It makes
   * the payload key-committing (AES-GCM and ChaCha20-Poly1305 are not): a signature fixes the file key.
   */
  commit: 'nqc/v1/commit',
  /** Domain separator of the signature transcript (a hash prefix, not an HKDF label). */
  signature: 'nqc/v1/signature',
});

/** Length of the key commitment in the suite section. */
export const KEY_COMMITMENT_LENGTH = 32;

/** Keys derived from one file key (see {@link deriveKeys}). */
export interface EnvelopeKeys {
  /** HMAC-SHA-256 key for the header MAC (`nqc/v1/header`). */
  readonly header: Uint8Array;
  /** AEAD key for the payload chunks (`nqc/v1/payload`). */
  readonly payload: Uint8Array;
  /** Key for the inner (NDE) layer (`nqc/v1/nde`). */
  readonly inner: Uint8Array;
  /** Key commitment written in the suite section (`nqc/v1/commit`); public, not a key. */
  readonly commit: Uint8Array;
}

/**
 * The key schedule of format v1: derives the header MAC key, the payload AEAD key, the inner-layer
 * key and the (public) key commitment from the 32-byte file key and the 32-byte header salt.
 *
 * @param fileKey - the envelope's random 32-byte file key
 * @param salt - the 32-byte salt from the header
 * @throws NqcFormatError `ERR_FORMAT_INVALID_ARGUMENT` on wrong lengths
 * @example
 * ```ts
 * const { inner } = deriveKeys(fileKey, header.suite.salt); // the NDE key
 * ```
 */
export function deriveKeys(fileKey: Uint8Array, salt: Uint8Array): EnvelopeKeys {
  checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
  checkBytes('salt', salt, SALT_LENGTH);
  const k = (label: string) => hkdf(sha256, fileKey, salt, utf8(label), 32);
  return { header: k(LABELS.header), payload: k(LABELS.payload), inner: k(LABELS.inner), commit: k(LABELS.commit) };
}

/**
 * The key commitment of format v1: `HKDF-SHA-256(ikm = fileKey, salt, info = "nqc/v1/commit", L = 32)`.
 * Written in the suite section, so the signature covers it; readers recompute it after unwrapping and
 * compare in constant time. It is public: HKDF's output under one label reveals nothing about the others.
 *
 * @throws NqcFormatError `ERR_FORMAT_INVALID_ARGUMENT` on wrong lengths
 */
export function keyCommitment(fileKey: Uint8Array, salt: Uint8Array): Uint8Array {
  checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
  checkBytes('salt', salt, SALT_LENGTH);
  return hkdf(sha256, fileKey, salt, utf8(LABELS.commit), KEY_COMMITMENT_LENGTH);
}

/** Fresh random bytes from Web Crypto (browsers and Node >= 20). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}
