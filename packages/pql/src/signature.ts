/**
 * Signatures behind one interface: ML-DSA-65 (default), ML-DSA-87, SLH-DSA-SHA2-128s/128f,
 * Falcon-512, and any registered scheme.
 * @module
 */
import { _checkBytes, _utf8, _wipe } from './_bytes.js';
import { NqcPqlError } from './errors.js';
import { decodeKeyString, encodeKeyString } from './key-string.js';
import { keyId } from './key-id.js';
import { getSignature, type SignatureProvider } from './registry.js';

/** Default signature scheme. */
export const DEFAULT_SIGNATURE = 'mldsa65';

/**
 * Default domain-separation context, `nqc/v1/sig` (ASCII). ML-DSA and SLH-DSA receive it as their
 * FIPS 204/205 context string; Falcon-512 gets the same bytes through nqc's pre-message encoding.
 * A signature made under one context never verifies under another.
 */
export const DEFAULT_SIGNATURE_CONTEXT: Uint8Array = _utf8('nqc/v1/sig');

/**
 * The context nqc envelopes sign under, `nqc/v1/envelope` (ASCII): pass it as
 * `{ context: ENVELOPE_SIGNATURE_CONTEXT }` to {@link SigningKey.sign} and {@link VerifyingKey.verify}.
 * A signature over an envelope can then never be replayed as a generic `nqc/v1/sig` signature (or
 * the reverse), even by the same key over the same bytes.
 */
export const ENVELOPE_SIGNATURE_CONTEXT: Uint8Array = _utf8('nqc/v1/envelope');

// The default actually used. The exported constant is a plain Uint8Array (typed arrays cannot be
// frozen): a caller overwriting its bytes must not change what every other caller signs under.
const DEFAULT_CONTEXT_BYTES = _utf8('nqc/v1/sig');

/** Options for signing and verifying. */
export type SignatureOptions = {
  /**
   * Domain-separation context, 0..255 bytes (default `nqc/v1/sig`, {@link DEFAULT_SIGNATURE_CONTEXT}).
   * Sign and verify must use the same bytes: a signature made under one context never verifies
   * under another. ML-DSA and SLH-DSA take it as their FIPS 204/205 context string; Falcon-512 gets
   * it through nqc's pre-message encoding. Envelopes use {@link ENVELOPE_SIGNATURE_CONTEXT}.
   * @example
   * ```ts
   * const sig = key.sign(header, { context: ENVELOPE_SIGNATURE_CONTEXT });
   * key.verifyingKey().verify(sig, header, { context: ENVELOPE_SIGNATURE_CONTEXT }); // true
   * key.verifyingKey().verify(sig, header);                                          // false
   * ```
   */
  context?: Uint8Array;
};

/** Anything that can check signatures. */
export interface Verifier {
  /** Registered signature algorithm id. */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id (8 hex chars) of the public key. */
  readonly keyId: string;
  /**
   * True when `signature` is valid for `message` under `options.context` (default `nqc/v1/sig`);
   * false otherwise (never throws for a bad signature).
   */
  verify(signature: Uint8Array, message: Uint8Array, options?: SignatureOptions): boolean;
}

/** Anything that can make signatures. */
export interface Signer {
  /** Registered signature algorithm id. */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id (8 hex chars) of the public key. */
  readonly keyId: string;
  /** Signs `message` under `options.context` (default `nqc/v1/sig`), hedged/randomised where the scheme supports it. */
  sign(message: Uint8Array, options?: SignatureOptions): Uint8Array;
}

function context(options: SignatureOptions | undefined): Uint8Array {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `"options" expected an object like { context }, got ${options === null ? 'null' : typeof options}`);
  }
  const ctx = options?.context ?? DEFAULT_CONTEXT_BYTES;
  _checkBytes('context', ctx);
  if (ctx.length > 255) {
    throw new NqcPqlError('ERR_PQL_SIGNATURE', `"context" must be at most 255 bytes, got length=${ctx.length}`);
  }
  return ctx;
}

/**
 * A public verifying key.
 * @example
 * ```ts
 * const v = parseVerifyingKey('nqc-pub-mldsa65-1...');
 * v.verify(signature, message); // true | false
 * ```
 */
export class VerifyingKey implements Verifier {
  /** Registered signature algorithm id. */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id of the public key. */
  readonly keyId: string;
  readonly #provider: SignatureProvider;

  /**
   * @param algorithm - registered signature id
   * @param publicKey - encoded public key of the registered length
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT
   */
  constructor(algorithm: string, publicKey: Uint8Array) {
    this.#provider = getSignature(algorithm);
    _checkBytes('publicKey', publicKey, this.#provider.publicKeyLength);
    this.algorithm = algorithm;
    this.publicKey = Uint8Array.from(publicKey);
    this.keyId = keyId(algorithm, this.publicKey);
  }

  /**
   * Verifies a signature under `options.context` (default `nqc/v1/sig`; must be the context it was
   * signed under). Wrong-length or malformed signatures return false.
   * @param signature - the signature
   * @param message - the signed bytes
   * @param options - `{ context }`, e.g. `{ context: ENVELOPE_SIGNATURE_CONTEXT }`
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (non-bytes arguments), ERR_PQL_SIGNATURE (context too long)
   */
  verify(signature: Uint8Array, message: Uint8Array, options?: SignatureOptions): boolean {
    _checkBytes('signature', signature);
    _checkBytes('message', message);
    const ctx = context(options);
    if (signature.length === 0 || signature.length > this.#provider.maxSignatureLength) return false;
    return this.#provider.verify(this.publicKey, message, signature, ctx);
  }

  /** The key as a string, e.g. `nqc-pub-mldsa65-1...`. */
  toString(): string {
    return encodeKeyString('verifying-key', this.algorithm, this.publicKey);
  }
}

/**
 * A secret signing key.
 * @example
 * ```ts
 * const key = generateSigningKey();            // ML-DSA-65
 * const sig = key.sign(message);
 * key.verifyingKey().verify(sig, message);     // true
 * ```
 */
export class SigningKey implements Signer {
  /** Registered signature algorithm id. */
  readonly algorithm: string;
  /** Encoded public key. */
  readonly publicKey: Uint8Array;
  /** Key id of the public key. */
  readonly keyId: string;
  readonly #provider: SignatureProvider;
  readonly #secret: Uint8Array;
  readonly #secretKey: Uint8Array;

  private constructor(provider: SignatureProvider, secret: Uint8Array) {
    this.#provider = provider;
    this.#secret = Uint8Array.from(secret);
    const { secretKey, publicKey } = provider.load(this.#secret);
    this.#secretKey = Uint8Array.from(secretKey);
    this.algorithm = provider.id;
    this.publicKey = Uint8Array.from(publicKey);
    this.keyId = keyId(provider.id, this.publicKey);
  }

  /**
   * Loads a signing key from its stored secret form (see {@link SignatureProvider.secretLength}).
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT
   */
  static fromSecret(algorithm: string, secret: Uint8Array): SigningKey {
    const p = getSignature(algorithm);
    _checkBytes('secret', secret, p.secretLength);
    return new SigningKey(p, secret);
  }

  /**
   * Deterministically derives a signing key from a seed (for test vectors and key derivation).
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT
   */
  static fromSeed(algorithm: string, seed: Uint8Array): SigningKey {
    const p = getSignature(algorithm);
    _checkBytes('seed', seed, p.seedLength);
    return new SigningKey(p, p.generate(seed));
  }

  /** Generates a fresh signing key from the CSPRNG. */
  static generate(algorithm: string = DEFAULT_SIGNATURE): SigningKey {
    const p = getSignature(algorithm);
    const secret = p.generate();
    try {
      return new SigningKey(p, secret);
    } finally {
      _wipe(secret);
    }
  }

  /**
   * Signs `message` under `options.context` (default `nqc/v1/sig`).
   * @param message - the bytes to sign
   * @param options - `{ context }`, e.g. `{ context: ENVELOPE_SIGNATURE_CONTEXT }`
   * @example
   * ```ts
   * const sig = key.sign(header, { context: ENVELOPE_SIGNATURE_CONTEXT });
   * ```
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT, ERR_PQL_SIGNATURE (context too long)
   */
  sign(message: Uint8Array, options?: SignatureOptions): Uint8Array {
    _checkBytes('message', message);
    return this.#provider.sign(this.#secretKey, message, context(options));
  }

  /** The matching public verifying key. */
  verifyingKey(): VerifyingKey {
    return new VerifyingKey(this.algorithm, this.publicKey);
  }

  /** The key as a secret string, e.g. `NQC-SIGN-SECRET-MLDSA65-1...`. Handle with care. */
  toString(): string {
    return encodeKeyString('signing-key', this.algorithm, this.#secret);
  }

  /** Best-effort erase of the secret material held by this object; it is unusable afterwards. */
  wipe(): void {
    _wipe(this.#secret, this.#secretKey);
  }
}

/**
 * Generates a signing key.
 * @param algorithm - `mldsa65` (default), `mldsa87`, `slhdsa-sha2-128s`, `slhdsa-sha2-128f`,
 *   `falcon512`, or any registered id
 * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM
 */
export function generateSigningKey(algorithm: string = DEFAULT_SIGNATURE): SigningKey {
  return SigningKey.generate(algorithm);
}

/**
 * Parses a signing-key string (`NQC-SIGN-SECRET-<ALG>-1...`).
 * @throws {NqcPqlError} ERR_PQL_KEY_STRING with a precise message
 */
export function parseSigningKey(text: string): SigningKey {
  const { algorithm, bytes } = decodeKeyString(text, 'signing-key');
  try {
    return SigningKey.fromSecret(algorithm, bytes);
  } finally {
    _wipe(bytes);
  }
}

/**
 * Parses a verifying-key string (`nqc-pub-<alg>-1...`).
 * @throws {NqcPqlError} ERR_PQL_KEY_STRING with a precise message
 */
export function parseVerifyingKey(text: string): VerifyingKey {
  const { algorithm, bytes } = decodeKeyString(text, 'verifying-key');
  return new VerifyingKey(algorithm, bytes);
}
