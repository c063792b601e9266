// The KEM stanza construction shared by every registered KEM (see README "Stanza format"):
//
//   (ct, ss)  = KEM.Encaps(pk)
//   wrapKey   = HKDF-SHA-256(ikm = ss, salt = ct || pk, info = provider.label, L = 32)
//   sealed    = ChaCha20-Poly1305(wrapKey, nonce = 0^12, aad = empty).seal(fileKey)   (48 bytes)
//   stanza    = { type: provider.id, args: [] | [keyId(pk)], body: ct || sealed }
//
// The all-zero nonce is safe because every wrap key is fresh (a new encapsulation per stanza) and
// used for exactly one encryption. Binding ct and pk in the salt makes the wrap key depend on the
// exact ciphertext and recipient even for KEMs whose shared secret would not (X-Wing already does).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { _concat, _utf8, _wipe } from './_bytes.js';
import { NqcPqlError } from './errors.js';
import { _isKeyId } from './key-id.js';
import type { KemProvider } from './registry.js';
import { FILE_KEY_LENGTH, type Stanza } from './stanza.js';

const TAG_LENGTH = 16;
/** Sealed file key length: 32-byte key + 16-byte Poly1305 tag. */
export const SEALED_FILE_KEY_LENGTH = FILE_KEY_LENGTH + TAG_LENGTH;

function wrapKey(p: KemProvider, sharedSecret: Uint8Array, cipherText: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return hkdf(sha256, sharedSecret, _concat(cipherText, publicKey), _utf8(p.label), 32);
}

/** Exact stanza body length for a provider: partitioning-oracle rule, checked before decapsulation. */
export function _bodyLength(p: KemProvider): number {
  return p.cipherTextLength + SEALED_FILE_KEY_LENGTH;
}

/** Wraps `fileKey` to `publicKey`. `randomness` is for known-answer tests only. */
export function _wrap(
  p: KemProvider,
  publicKey: Uint8Array,
  fileKey: Uint8Array,
  hint: string | undefined,
  randomness?: Uint8Array,
): Stanza {
  const { cipherText, sharedSecret } = p.encapsulate(publicKey, randomness);
  if (cipherText.length !== p.cipherTextLength) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `${p.id}: provider returned a ${cipherText.length}-byte ciphertext`);
  }
  const key = wrapKey(p, sharedSecret, cipherText, publicKey);
  const sealed = chacha20poly1305(key, new Uint8Array(12)).encrypt(fileKey);
  _wipe(key, sharedSecret);
  return { type: p.id, args: hint === undefined ? [] : [hint], body: _concat(cipherText, sealed) };
}

/**
 * Checks the shape of a stanza of type `p.id` and returns its hint (or undefined). Throws
 * ERR_PQL_STANZA_MALFORMED: such a stanza can only come from corruption or a forgery.
 */
export function _checkKemStanza(p: KemProvider, s: Stanza, index: number): string | undefined {
  if (s.args.length > 1) {
    throw new NqcPqlError('ERR_PQL_STANZA_MALFORMED', `${p.id} stanza ${index}: expected at most 1 argument, got ${s.args.length}`);
  }
  const hint = s.args[0];
  if (hint !== undefined && !_isKeyId(hint)) {
    throw new NqcPqlError('ERR_PQL_STANZA_MALFORMED', `${p.id} stanza ${index}: invalid key-id hint`);
  }
  const n = _bodyLength(p);
  if (s.body.length !== n) {
    throw new NqcPqlError('ERR_PQL_STANZA_MALFORMED', `${p.id} stanza ${index}: body must be ${n} bytes, got ${s.body.length}`);
  }
  return hint;
}

/**
 * Tries to unwrap one (already shape-checked) stanza. Returns null when it is not for this key: the
 * KEM's implicit rejection yields an unrelated secret and the AEAD tag fails. A throw from the KEM
 * (e.g. X25519 refusing a low-order point) is also "not mine": one outcome, no oracle.
 */
export function _unwrap(p: KemProvider, publicKey: Uint8Array, secretKey: Uint8Array, body: Uint8Array): Uint8Array | null {
  const cipherText = body.subarray(0, p.cipherTextLength);
  const sealed = body.subarray(p.cipherTextLength);
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = p.decapsulate(cipherText, secretKey);
  } catch {
    return null;
  }
  const key = wrapKey(p, sharedSecret, cipherText, publicKey);
  try {
    return chacha20poly1305(key, new Uint8Array(12)).decrypt(sealed);
  } catch {
    return null;
  } finally {
    _wipe(key, sharedSecret);
  }
}
