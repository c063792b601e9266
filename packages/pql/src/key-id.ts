/**
 * Key ids: short public fingerprints used as stanza hints and keyset ids.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { _checkBytes, _concat, _hex, _utf8 } from './_bytes.js';

/** Length of a key id in hex characters (4 bytes). */
export const KEY_ID_LENGTH = 8;

/**
 * The key id of a public key: the first 4 bytes of
 * SHA-256("nqc/v1/pql/key-id" || 0x00 || algorithm || 0x00 || publicKey), as 8 lowercase hex chars.
 *
 * It is a hint, not an identifier with collision resistance: two keys may share an id (1 in 2^32),
 * so users of the id must still try the key. Anyone holding the public key can compute it.
 * @param algorithm - registered algorithm id
 * @param publicKey - encoded public key
 * @example
 * ```ts
 * keyId('xwing', recipient.publicKey); // e.g. '3f9a01bc'
 * ```
 */
export function keyId(algorithm: string, publicKey: Uint8Array): string {
  _checkBytes('publicKey', publicKey);
  const h = sha256(_concat(_utf8('nqc/v1/pql/key-id'), Uint8Array.of(0), _utf8(algorithm), Uint8Array.of(0), publicKey));
  return _hex(h.subarray(0, KEY_ID_LENGTH / 2));
}

/** True when `s` has the key-id shape (8 lowercase hex characters). */
export function _isKeyId(s: string): boolean {
  return /^[0-9a-f]{8}$/.test(s);
}
