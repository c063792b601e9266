/**
 * Passphrase recipients (age's scrypt recipient, with nqc's own label):
 *
 * ```text
 * salt    = 16 random bytes
 * wrapKey = scrypt(NFC(passphrase), salt = "nqc/v1/scrypt" || salt, N = 2^ln, r = 8, p = 1, dkLen = 32)
 * body    = ChaCha20-Poly1305(wrapKey, nonce = 0^12, aad = empty).seal(fileKey)      (48 bytes)
 * stanza  = { type: "scrypt", args: [base64(salt) (22 chars, no padding), decimal ln], body }
 * ```
 * A passphrase stanza must be the ONLY stanza of its envelope (as in age): anyone who can open the
 * envelope with another key could otherwise re-wrap the same file key and make it look passphrase-only.
 * `ln` is bounded on read to what nqc writes ({@link MIN_SCRYPT_LOG_N}..{@link MAX_SCRYPT_LOG_N}, the
 * bound identity files use), so a hostile envelope cannot make a reader spend more than 256 MiB / ~1.5 s.
 * The zero nonce is safe: the wrap key is fresh (new random salt) and encrypts exactly once.
 *
 * Symmetric: scrypt plus a 256-bit AEAD key, which a quantum computer only weakens by Grover's square
 * root; the passphrase's own entropy is the real limit (see README Security).
 * @module
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { base64nopad } from '@scure/base';
import { _checkBytes, _concat, _randomBytes, _utf8, _wipe } from './_bytes.js';
import { NqcPqlError } from './errors.js';
import { DEFAULT_SCRYPT_PARAMS, MAX_SCRYPT_LOG_N, MIN_SCRYPT_LOG_N } from './identity-file.js';
import { FILE_KEY_LENGTH, PASSPHRASE_STANZA_TYPE, type Identity, type Recipient, type Stanza } from './stanza.js';
import { SEALED_FILE_KEY_LENGTH } from './wrap.js';

export { PASSPHRASE_STANZA_TYPE };

/** Versioned label prefixed to the scrypt salt (domain separation from age and identity files). */
export const PASSPHRASE_LABEL = 'nqc/v1/scrypt';

const SALT_LENGTH = 16;
const R = DEFAULT_SCRYPT_PARAMS.r;
const P = DEFAULT_SCRYPT_PARAMS.p;
/** noble's scrypt allocates 128·r·(N + p + 1) bytes: allow exactly the largest accepted setting. */
const MAX_MEMORY = 128 * R * (2 ** MAX_SCRYPT_LOG_N + P + 1);
const LOG_N = /^[1-9][0-9]?$/;

/** Options of {@link PassphraseRecipient}. */
export type PassphraseRecipientOptions = {
  /** scrypt log2(N), {@link MIN_SCRYPT_LOG_N}..{@link MAX_SCRYPT_LOG_N}; default 17 (128 MiB, ~0.7 s here). */
  logN?: number;
};

function checkPassphrase(passphrase: unknown): string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', '"passphrase" must be a non-empty string');
  }
  return passphrase;
}

function inRange(logN: number): boolean {
  return Number.isInteger(logN) && logN >= MIN_SCRYPT_LOG_N && logN <= MAX_SCRYPT_LOG_N;
}

function wrapKey(passphrase: string, salt: Uint8Array, logN: number): Uint8Array {
  const pw = _utf8(passphrase.normalize('NFC'));
  try {
    return scrypt(pw, _concat(_utf8(PASSPHRASE_LABEL), salt), { N: 2 ** logN, r: R, p: P, dkLen: 32, maxmem: MAX_MEMORY });
  } finally {
    _wipe(pw);
  }
}

/** @internal Deterministic wrap (known-answer tests): `salt` is 16 bytes. */
export function _wrapPassphrase(passphrase: string, fileKey: Uint8Array, salt: Uint8Array, logN: number): Stanza {
  const key = wrapKey(passphrase, salt, logN);
  const body = chacha20poly1305(key, new Uint8Array(12)).encrypt(fileKey);
  _wipe(key);
  return { type: PASSPHRASE_STANZA_TYPE, args: [base64nopad.encode(salt), String(logN)], body };
}

/**
 * Encrypts to a passphrase. It must be the only recipient of its envelope: {@link wrapToRecipients}
 * (and `@nqc/core`) refuse a passphrase stanza next to any other stanza.
 * @example
 * ```ts
 * const stanzas = wrapToRecipients(fileKey, [new PassphraseRecipient('correct horse battery staple')]);
 * ```
 */
export class PassphraseRecipient implements Recipient {
  /** Symmetric (scrypt + 256-bit AEAD): not broken by a quantum computer beyond Grover's square root. */
  readonly postQuantum = true;
  readonly #passphrase: string;
  readonly #logN: number;

  /**
   * @param passphrase - non-empty; NFC-normalised before use
   * @param options - scrypt work factor
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (empty passphrase, `logN` out of range)
   */
  constructor(passphrase: string, options: PassphraseRecipientOptions = {}) {
    this.#passphrase = checkPassphrase(passphrase);
    const logN = options?.logN ?? DEFAULT_SCRYPT_PARAMS.logN;
    if (!inRange(logN)) {
      throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `"logN" must be an integer in ${MIN_SCRYPT_LOG_N}..${MAX_SCRYPT_LOG_N}, got ${String(logN)}`);
    }
    this.#logN = logN;
  }

  /** Wraps the file key into one `scrypt` stanza (fresh random salt). */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    _checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
    return [_wrapPassphrase(this.#passphrase, fileKey, _randomBytes(SALT_LENGTH), this.#logN)];
  }
}

/** True when `stanzas` holds a passphrase stanza (so a CLI knows to ask for a passphrase). */
export function hasPassphraseStanza(stanzas: readonly { type: string }[]): boolean {
  return Array.isArray(stanzas) && stanzas.some((s) => s?.type === PASSPHRASE_STANZA_TYPE);
}

/**
 * Decrypts envelopes encrypted to a passphrase.
 *
 * Everything public is checked before scrypt runs (ERR_PQL_STANZA_MALFORMED): the passphrase stanza
 * must be the only stanza, have exactly two canonical arguments (16-byte salt, `ln` in
 * {@link MIN_SCRYPT_LOG_N}..{@link MAX_SCRYPT_LOG_N}) and a 48-byte body. A wrong passphrase gives
 * `null` ("not mine"), which `@nqc/core` reports with its one generic decryption error.
 * @example
 * ```ts
 * const fileKey = new PassphraseIdentity(passphrase).unwrapFileKey(stanzas);
 * ```
 */
export class PassphraseIdentity implements Identity {
  readonly #passphrase: string;

  /**
   * @param passphrase - non-empty; NFC-normalised before use
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (empty passphrase)
   */
  constructor(passphrase: string) {
    this.#passphrase = checkPassphrase(passphrase);
  }

  /** Returns the file key, or `null` when there is no passphrase stanza or the passphrase is wrong. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    const i = stanzas.findIndex((s) => s.type === PASSPHRASE_STANZA_TYPE);
    if (i < 0) return null;
    const bad = (why: string): never => {
      throw new NqcPqlError('ERR_PQL_STANZA_MALFORMED', `scrypt stanza ${i}: ${why}`);
    };
    if (stanzas.length !== 1) bad('a passphrase stanza must be the only stanza of its envelope');
    const s = stanzas[i]!;
    if (s.args.length !== 2) bad(`expected 2 arguments, got ${s.args.length}`);
    const [saltText, logText] = s.args as [string, string];
    let salt: Uint8Array | undefined;
    try {
      salt = base64nopad.decode(saltText);
    } catch {
      salt = undefined;
    }
    if (salt === undefined || salt.length !== SALT_LENGTH || base64nopad.encode(salt) !== saltText) bad('salt must be 16 bytes of unpadded base64');
    if (!LOG_N.test(logText) || !inRange(Number(logText))) {
      bad(`work factor must be a decimal ln in ${MIN_SCRYPT_LOG_N}..${MAX_SCRYPT_LOG_N} (what nqc writes)`);
    }
    if (s.body.length !== SEALED_FILE_KEY_LENGTH) bad(`body must be ${SEALED_FILE_KEY_LENGTH} bytes, got ${s.body.length}`);
    const key = wrapKey(this.#passphrase, salt!, Number(logText));
    try {
      return chacha20poly1305(key, new Uint8Array(12)).decrypt(s.body);
    } catch {
      return null;
    } finally {
      _wipe(key);
    }
  }
}
