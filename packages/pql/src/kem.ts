/**
 * KEM recipients and identities: X-Wing (default), ML-KEM-1024, and any registered KEM.
 * @module
 */
import { _checkBytes, _randomBytes, _wipe } from './_bytes.js';
import { decodeKeyString, encodeKeyString } from './key-string.js';
import { keyId } from './key-id.js';
import { getKem, type KemProvider } from './registry.js';
import { _checkStanzas, FILE_KEY_LENGTH, type Identity, type Recipient, type Stanza } from './stanza.js';
import { _checkKemStanza, _unwrap, _wrap } from './wrap.js';

/** Default recipient type. */
export const DEFAULT_KEM = 'xwing';

/** Options for a {@link KemRecipient}. */
export type RecipientOptions = {
  /**
   * Write the 8-hex-char key-id hint as the stanza argument (default `true`). The hint lets an
   * identity or keyset skip stanzas that are not for it without a decapsulation, but anyone who
   * knows the recipient's public key can tell the envelope is addressed to it. Set `false` for
   * anonymous stanzas (every identity of the type then tries every stanza, as in age).
   */
  hint?: boolean;
};

/**
 * A public recipient of a registered KEM type: wraps file keys into stanzas.
 * @example
 * ```ts
 * const r = parseRecipient('nqc-xwing-1...');
 * const stanzas = r.wrapFileKey(fileKey);
 * ```
 */
export class KemRecipient implements Recipient {
  /** Registered KEM id (also the stanza type). */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id (8 hex chars) of the public key. */
  readonly keyId: string;
  /** Always `true`: the registry admits post-quantum KEMs only. */
  readonly postQuantum: boolean;
  readonly #provider: KemProvider;
  readonly #hint: boolean;

  /**
   * @param algorithm - registered KEM id, e.g. `xwing`
   * @param publicKey - encoded public key of the registered length
   * @param options - see {@link RecipientOptions}
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT
   */
  constructor(algorithm: string, publicKey: Uint8Array, options: RecipientOptions = {}) {
    this.#provider = getKem(algorithm);
    _checkBytes('publicKey', publicKey, this.#provider.publicKeyLength);
    this.algorithm = algorithm;
    this.publicKey = Uint8Array.from(publicKey);
    this.keyId = keyId(algorithm, this.publicKey);
    this.postQuantum = this.#provider.postQuantum === true;
    this.#hint = options.hint ?? true;
  }

  /**
   * Wraps a 32-byte file key into one stanza (fresh encapsulation each call).
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT when the file key is not 32 bytes
   */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    _checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
    return [_wrap(this.#provider, this.publicKey, fileKey, this.#hint ? this.keyId : undefined)];
  }

  /** The recipient as a key string, e.g. `nqc-xwing-1...`. */
  toString(): string {
    return encodeKeyString('recipient', this.algorithm, this.publicKey);
  }
}

/**
 * A secret KEM identity: unwraps stanzas of its type addressed to it. Holds the seed (the form
 * stored in key strings) and the expanded secret key.
 * @example
 * ```ts
 * const alice = generateIdentity();            // X-Wing
 * const fileKey = alice.unwrapFileKey(stanzas); // Uint8Array(32) or null ("not mine")
 * ```
 */
export class KemIdentity implements Identity {
  /** Registered KEM id. */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id (8 hex chars) of the public key. */
  readonly keyId: string;
  readonly #provider: KemProvider;
  readonly #seed: Uint8Array;
  readonly #secretKey: Uint8Array;

  private constructor(provider: KemProvider, seed: Uint8Array) {
    this.#provider = provider;
    this.#seed = Uint8Array.from(seed);
    const { publicKey, secretKey } = provider.keygen(this.#seed);
    this.algorithm = provider.id;
    this.publicKey = publicKey;
    // noble's X-Wing returns the seed itself as secretKey: copy so wiping one leaves the other intact.
    this.#secretKey = Uint8Array.from(secretKey);
    this.keyId = keyId(provider.id, publicKey);
  }

  /**
   * Creates an identity from its seed (deterministic).
   * @param algorithm - registered KEM id
   * @param seed - seed of the registered length (32 bytes for X-Wing, 64 for ML-KEM-1024)
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT
   */
  static fromSeed(algorithm: string, seed: Uint8Array): KemIdentity {
    const p = getKem(algorithm);
    _checkBytes('seed', seed, p.seedLength);
    return new KemIdentity(p, seed);
  }

  /** Generates a fresh identity with a CSPRNG seed. */
  static generate(algorithm: string = DEFAULT_KEM): KemIdentity {
    const p = getKem(algorithm);
    const seed = _randomBytes(p.seedLength);
    try {
      return new KemIdentity(p, seed);
    } finally {
      _wipe(seed);
    }
  }

  /** The matching public recipient. */
  recipient(options?: RecipientOptions): KemRecipient {
    return new KemRecipient(this.algorithm, this.publicKey, options);
  }

  /**
   * Unwraps the file key from the first stanza addressed to this identity.
   *
   * Every stanza of this identity's type is shape-checked (argument count, hint format, exact body
   * length) before any decapsulation; a bad one throws ERR_PQL_STANZA_MALFORMED. Stanzas of other
   * types, and stanzas whose hint names another key, are skipped.
   * @returns the 32-byte file key, or `null` ("not mine")
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (not stanzas), ERR_PQL_STANZA_MALFORMED
   */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    const candidates = _candidates(this.#provider, _checkStanzas(stanzas));
    for (const { stanza, hint } of candidates) {
      if (hint !== undefined && hint !== this.keyId) continue;
      const fk = _unwrap(this.#provider, this.publicKey, this.#secretKey, stanza.body);
      if (fk) return fk;
    }
    return null;
  }

  /** The identity as a secret key string, e.g. `NQC-SECRET-XWING-1...`. Handle with care. */
  toString(): string {
    return encodeKeyString('identity', this.algorithm, this.#seed);
  }

  /** Best-effort erase of the secret material held by this object; it is unusable afterwards. */
  wipe(): void {
    _wipe(this.#seed, this.#secretKey);
  }
}

/** Internal: shape-check all stanzas of `p`'s type up front, then return them with their hints. */
export function _candidates(p: KemProvider, stanzas: Stanza[]): { stanza: Stanza; hint: string | undefined }[] {
  const out: { stanza: Stanza; hint: string | undefined }[] = [];
  stanzas.forEach((s, i) => {
    if (s.type === p.id) out.push({ stanza: s, hint: _checkKemStanza(p, s, i) });
  });
  return out;
}

/**
 * Generates a new KEM identity.
 * @param algorithm - registered KEM id (default `xwing`; `mlkem1024` for high security)
 * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM
 * @example
 * ```ts
 * const id = generateIdentity();
 * console.log(id.recipient().toString()); // nqc-xwing-1...
 * ```
 */
export function generateIdentity(algorithm: string = DEFAULT_KEM): KemIdentity {
  return KemIdentity.generate(algorithm);
}

/**
 * Parses a recipient key string (`nqc-<alg>-1...`).
 * @throws {NqcPqlError} ERR_PQL_KEY_STRING with a precise message
 */
export function parseRecipient(text: string, options?: RecipientOptions): KemRecipient {
  const { algorithm, bytes } = decodeKeyString(text, 'recipient');
  return new KemRecipient(algorithm, bytes, options);
}

/**
 * Parses a secret identity key string (`NQC-SECRET-<ALG>-1...`).
 * @throws {NqcPqlError} ERR_PQL_KEY_STRING with a precise message
 */
export function parseIdentity(text: string): KemIdentity {
  const { algorithm, bytes } = decodeKeyString(text, 'identity');
  try {
    return KemIdentity.fromSeed(algorithm, bytes);
  } finally {
    _wipe(bytes);
  }
}

