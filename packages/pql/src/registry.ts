/**
 * The algorithm registry: registering a KEM or signature provider makes it available to key
 * strings, recipients, identities, signers and keysets without touching their code.
 * @module
 */
import { _prefix, FORBIDDEN_ID_PREFIXES, KEM_KINDS, SIGNATURE_KINDS, type KeyKind } from './_prefix.js';
import { NqcPqlError } from './errors.js';
import { mlkem1024, xwing } from './kem-providers.js';
import { falcon512, mldsa65, mldsa87, slhdsaSha2_128f, slhdsaSha2_128s } from './sig-providers.js';
import { PASSPHRASE_STANZA_TYPE } from './stanza.js';

/**
 * A key-encapsulation mechanism usable as an nqc recipient type.
 *
 * The secret form stored in key strings is always the `seedLength`-byte seed: `keygen(seed)` must be
 * deterministic. The provider's `id` is also the stanza type and the algorithm name in key strings.
 */
export interface KemProvider {
  /** Lowercase id, e.g. `xwing`: stanza type and key-string algorithm name. */
  readonly id: string;
  /** Human-readable name, e.g. `X-Wing (ML-KEM-768 + X25519)`. */
  readonly name: string;
  /** Must be `true`: nqc only registers KEMs that resist a quantum attacker (see README Security). */
  readonly postQuantum: true;
  /** Versioned HKDF label for the wrap key, e.g. `nqc/v1/pql/xwing`. */
  readonly label: string;
  /** Seed length in bytes (the stored secret form). */
  readonly seedLength: number;
  /** Encoded public key length in bytes. */
  readonly publicKeyLength: number;
  /** KEM ciphertext length in bytes. */
  readonly cipherTextLength: number;
  /** Length of the randomness `encapsulate` accepts for deterministic (test-vector) use. */
  readonly encapsulationRandomnessLength: number;
  /** Deterministic key generation: seed → (public key, expanded secret key for `decapsulate`). */
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** Encapsulates to `publicKey`; `randomness` only for known-answer tests. */
  encapsulate(publicKey: Uint8Array, randomness?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** Decapsulates (may throw on invalid input; callers treat a throw as "not mine"). */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/**
 * A signature scheme usable by nqc signers, verifiers and keysets.
 *
 * The stored secret form (`secretLength` bytes) is whatever is cheapest to keep and load: a 32-byte
 * seed for ML-DSA, the 64-byte secret key for SLH-DSA (keygen from seed costs ~0.3 s for 128s),
 * the 1281-byte secret key for Falcon-512 (keygen costs ~0.25 s).
 */
export interface SignatureProvider {
  /** Lowercase id, e.g. `mldsa65`: key-string algorithm name. */
  readonly id: string;
  /** Human-readable name. */
  readonly name: string;
  /** Must be `true` (see {@link KemProvider.postQuantum}). */
  readonly postQuantum: true;
  /** Seed length accepted by `generate` for deterministic generation. */
  readonly seedLength: number;
  /** Stored secret form length in bytes. */
  readonly secretLength: number;
  /** Public key length in bytes. */
  readonly publicKeyLength: number;
  /** Maximum signature length in bytes (exact length for fixed-size schemes). */
  readonly maxSignatureLength: number;
  /** Whether the scheme takes a FIPS 204/205 context string natively. */
  readonly nativeContext: boolean;
  /** Generates a stored secret, from `seed` when given (deterministic), else at random. */
  generate(seed?: Uint8Array): Uint8Array;
  /** Loads a stored secret: expanded secret key and public key. */
  load(secret: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array };
  /** Signs `message` under `context` (at most 255 bytes). */
  sign(secretKey: Uint8Array, message: Uint8Array, context: Uint8Array): Uint8Array;
  /** Verifies; returns false for any invalid signature (must not throw for wrong-length signatures). */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context: Uint8Array): boolean;
}

const ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// Providers are frozen so a caller holding one from getKem/getSignature cannot change a label or length.
const kems = new Map<string, KemProvider>([xwing, mlkem1024].map((p) => [p.id, Object.freeze({ ...p })]));
const sigs = new Map<string, SignatureProvider>(
  [mldsa65, mldsa87, slhdsaSha2_128s, slhdsaSha2_128f, falcon512].map((p) => [p.id, Object.freeze({ ...p })]),
);

/** Every key-string prefix in use (lower case) → who uses it, e.g. `identity of xwing`. */
function usedPrefixes(): Map<string, string> {
  const used = new Map<string, string>();
  const add = (kinds: readonly KeyKind[], id: string) => {
    for (const k of kinds) used.set(_prefix(k, id)!.toLowerCase(), `${k} of ${id}`);
  };
  for (const id of kems.keys()) add(KEM_KINDS, id);
  for (const id of sigs.keys()) add(SIGNATURE_KINDS, id);
  return used;
}

function checkCommon(p: KemProvider | SignatureProvider, lengths: string[], kinds: readonly KeyKind[]): void {
  if (typeof p?.id !== 'string' || !ID.test(p.id) || p.id.length > 32) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `invalid algorithm id ${JSON.stringify(p?.id)}: expected [a-z][a-z0-9-]*, at most 32 chars`);
  }
  if (kems.has(p.id) || sigs.has(p.id)) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm id "${p.id}" is already registered`);
  }
  if (p.id === PASSPHRASE_STANZA_TYPE) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm id "${p.id}" is reserved for passphrase recipients`);
  }
  const bad = FORBIDDEN_ID_PREFIXES.find((f) => p.id.startsWith(f));
  if (bad !== undefined) {
    // e.g. a KEM "secret-xwing" has recipient prefix "nqc-secret-xwing-", X-Wing's identity prefix.
    throw new NqcPqlError(
      'ERR_PQL_REGISTRY',
      `algorithm id "${p.id}" must not start with "${bad}" (reserved: ${FORBIDDEN_ID_PREFIXES.map((f) => `"${f}"`).join(', ')})`,
    );
  }
  // Defence in depth: no generated key-string prefix may equal one already in use, whatever the kinds.
  const used = usedPrefixes();
  const mine = kinds.map((k) => [k, _prefix(k, p.id)!.toLowerCase()] as const);
  for (const [k, prefix] of mine) {
    const other = used.get(prefix);
    if (other !== undefined) {
      throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${p.id}": its ${k} prefix "${prefix}" collides with the ${other}`);
    }
  }
  if (new Set(mine.map(([, x]) => x)).size !== mine.length) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${p.id}": its key-string prefixes collide with each other`);
  }
  if (p.postQuantum !== true) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${p.id}" is not declared post-quantum: nqc registers post-quantum schemes only`);
  }
  for (const k of lengths) {
    const v = (p as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 65536) {
      throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${p.id}": "${k}" must be an integer in 1..65536`);
    }
  }
}

/**
 * Registers a KEM provider as a new recipient type.
 * @param provider - the provider; its `id` must be unused, must not start with `secret-`,
 *   `sign-secret-` or `pub-`, must not give a key-string prefix already in use, and the provider must
 *   declare `postQuantum: true`
 * @throws {NqcPqlError} ERR_PQL_REGISTRY when the id or a prefix is taken or the declaration is invalid
 * @example
 * ```ts
 * registerKem({ id: 'mlkem768', name: 'ML-KEM-768', postQuantum: true, label: 'nqc/v1/pql/mlkem768', ... });
 * const id = generateIdentity('mlkem768');
 * ```
 */
export function registerKem(provider: KemProvider): void {
  checkCommon(provider, ['seedLength', 'publicKeyLength', 'cipherTextLength', 'encapsulationRandomnessLength'], KEM_KINDS);
  if (typeof provider.label !== 'string' || !provider.label.startsWith('nqc/')) {
    throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${provider.id}": "label" must be a versioned "nqc/..." string`);
  }
  for (const f of ['keygen', 'encapsulate', 'decapsulate'] as const) {
    if (typeof provider[f] !== 'function') {
      throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${provider.id}": "${f}" must be a function`);
    }
  }
  kems.set(provider.id, Object.freeze({ ...provider }));
}

/**
 * Registers a signature provider.
 * @param provider - the provider; its `id` must be unused, must not start with `secret-`,
 *   `sign-secret-` or `pub-`, must not give a key-string prefix already in use, and the provider must
 *   declare `postQuantum: true`
 * @throws {NqcPqlError} ERR_PQL_REGISTRY when the id or a prefix is taken or the declaration is invalid
 */
export function registerSignature(provider: SignatureProvider): void {
  checkCommon(provider, ['seedLength', 'secretLength', 'publicKeyLength', 'maxSignatureLength'], SIGNATURE_KINDS);
  for (const f of ['generate', 'load', 'sign', 'verify'] as const) {
    if (typeof provider[f] !== 'function') {
      throw new NqcPqlError('ERR_PQL_REGISTRY', `algorithm "${provider.id}": "${f}" must be a function`);
    }
  }
  sigs.set(provider.id, Object.freeze({ ...provider }));
}

/**
 * Returns the KEM provider registered under `id`.
 * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM
 */
export function getKem(id: string): KemProvider {
  const p = kems.get(id);
  if (!p) throw new NqcPqlError('ERR_PQL_UNKNOWN_ALGORITHM', `unknown KEM algorithm ${JSON.stringify(id)}`);
  return p;
}

/**
 * Returns the signature provider registered under `id`.
 * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM
 */
export function getSignature(id: string): SignatureProvider {
  const p = sigs.get(id);
  if (!p) throw new NqcPqlError('ERR_PQL_UNKNOWN_ALGORITHM', `unknown signature algorithm ${JSON.stringify(id)}`);
  return p;
}

/** Ids of every registered KEM (recipient types), built-ins first. */
export function listKems(): string[] {
  return [...kems.keys()];
}

/** Ids of every registered signature scheme, built-ins first. */
export function listSignatures(): string[] {
  return [...sigs.keys()];
}

/** Internal: KEM provider or undefined (no throw), for stanza matching. */
export function _findKem(id: string): KemProvider | undefined {
  return kems.get(id);
}
