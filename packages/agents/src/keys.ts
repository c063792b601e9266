/**
 * The key store: keys per purpose and algorithm, with rotation, disabling and destruction taken from
 * @nqc/pql's {@link Keyset}. It hands secret key strings only to this package's own workers and to
 * the custody server; everything it returns to callers is public.
 * @module
 */
import {
  decodeKeyString,
  getKem,
  KemIdentity,
  Keyset,
  parseIdentity,
  parseSigningKey,
  SigningKey,
  type IdentityFileContents,
  type KeyInfo,
  type KeyPurpose,
  type SignatureOptions,
  type Stanza,
} from '@nqc/pql';
import { fail } from './errors.js';

/** Options of {@link KeyStore.createKey}. */
export type CreateKeyOptions = {
  /** Make the new key the primary key of its purpose at once (rotation). Default: only when there is none. */
  primary?: boolean;
};

/**
 * Keys by id, purpose and status, over a pql {@link Keyset}.
 * @example
 * ```ts
 * const keys = KeyStore.create();
 * const k = keys.createKey('sign', 'mldsa65');     // primary signing key
 * keys.rotate('sign');                              // a new primary; k stays enabled (verifies)
 * keys.disable(k.id);                               // k no longer signs or verifies
 * ```
 */
export class KeyStore {
  readonly #keyset: Keyset;
  readonly #secrets = new Map<string, KemIdentity | SigningKey>();
  // Keyset.list() re-encodes every public key string (an ML-DSA-65 key is 1,952 bytes): cache it
  // between changes, and the secret key strings handed to workers likewise.
  #list: KeyInfo[] | undefined;
  readonly #strings = new Map<string, string>();

  private constructor(keyset: Keyset) {
    this.#keyset = keyset;
  }

  /** An empty store. */
  static create(): KeyStore {
    return new KeyStore(Keyset.create());
  }

  /**
   * A store over a serialised keyset (`Keyset.serialize()`), checked by `Keyset.parse`.
   * @throws {NqcPqlError} ERR_PQL_KEYSET, ERR_PQL_KEY_STRING
   */
  static fromKeyset(text: string): KeyStore {
    const store = new KeyStore(Keyset.parse(text));
    // Keyset.parse has checked every field; take the secrets it validated.
    for (const k of (JSON.parse(text) as { keys: { id: string; purpose: KeyPurpose; secretKey?: string }[] }).keys) {
      if (k.secretKey === undefined) continue;
      store.#secrets.set(k.id, k.purpose === 'encrypt' ? parseIdentity(k.secretKey) : parseSigningKey(k.secretKey));
    }
    return store;
  }

  /**
   * A store holding an identity file's keys (the first identity and the first signing key become primary).
   * @throws {NqcPqlError} ERR_PQL_KEYSET for a key present twice
   */
  static fromIdentityFile(contents: IdentityFileContents): KeyStore {
    const store = KeyStore.create();
    store.importKeys(contents);
    return store;
  }

  /**
   * Adds the keys of an identity file (copies; the caller may wipe its objects afterwards).
   * @returns metadata of the added keys
   * @throws {NqcPqlError} ERR_PQL_KEYSET for a key id already present
   */
  importKeys(contents: IdentityFileContents): KeyInfo[] {
    const added: KeyInfo[] = [];
    for (const id of contents.identities) added.push(this.#add(parseIdentity(id.toString())));
    for (const sk of contents.signingKeys) added.push(this.#add(parseSigningKey(sk.toString())));
    return added;
  }

  #add(key: KemIdentity | SigningKey, options: CreateKeyOptions = {}): KeyInfo {
    const info = this.#keyset.import(key, options);
    this.#list = undefined;
    this.#secrets.set(info.id, key);
    return info;
  }

  /**
   * Generates a key for a purpose.
   * @param purpose - `encrypt` (KEM) or `sign`
   * @param algorithm - registered id (default `xwing` / `mldsa65`)
   * @returns its public metadata
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM (or a KEM id for `sign`, and the reverse); ERR_AGENTS_INVALID_INPUT for a bad purpose
   */
  createKey(purpose: KeyPurpose, algorithm?: string, options: CreateKeyOptions = {}): KeyInfo {
    if (purpose === 'encrypt') return this.#add(KemIdentity.generate(algorithm), options);
    if (purpose === 'sign') return this.#add(SigningKey.generate(algorithm), options);
    fail('ERR_AGENTS_INVALID_INPUT', `unknown purpose ${JSON.stringify(purpose)}: expected "encrypt" or "sign"`);
  }

  /**
   * Rotation: a new key of `purpose` becomes primary; the old primary stays enabled (it still opens and
   * verifies old data) until you disable or destroy it.
   * @param algorithm - default: the current primary's algorithm, else the pql default
   */
  rotate(purpose: KeyPurpose, algorithm?: string): KeyInfo {
    const current = this.list().find((k) => k.purpose === purpose && k.status === 'primary');
    return this.createKey(purpose, algorithm ?? current?.algorithm, { primary: true });
  }

  /** Makes an enabled key primary. @throws {NqcPqlError} ERR_PQL_KEYSET */
  promote(id: string): void {
    this.#keyset.promote(id);
    this.#list = undefined;
  }

  /** Disables a key: it no longer signs, verifies, decapsulates or unwraps. @throws {NqcPqlError} ERR_PQL_KEYSET for the primary */
  disable(id: string): void {
    this.#keyset.disable(id);
    this.#list = undefined;
  }

  /** Re-enables a disabled key. @throws {NqcPqlError} ERR_PQL_KEYSET */
  enable(id: string): void {
    this.#keyset.enable(id);
    this.#list = undefined;
  }

  /** Erases a key's secret (best effort) and keeps its public record. Irreversible. @throws {NqcPqlError} ERR_PQL_KEYSET for the primary */
  destroy(id: string): void {
    this.#keyset.destroy(id);
    this.#list = undefined;
    this.#secrets.get(id)?.wipe();
    this.#secrets.delete(id);
    this.#strings.delete(id);
  }

  /** Public metadata of every key (ids, purposes, algorithms, statuses, public keys). */
  list(): KeyInfo[] {
    this.#list ??= this.#keyset.list();
    return this.#list.map((k) => ({ ...k }));
  }

  /** The keyset with public keys only (safe to publish). */
  publicKeyset(): string {
    return this.#keyset.publicOnly().serialize();
  }

  /**
   * The whole keyset including secrets, for the owner to persist (store it owner-only, like an
   * identity file). Never send it anywhere.
   */
  serializeSecret(): string {
    return this.#keyset.serialize();
  }

  /**
   * @internal The usable key of `purpose`: `id`'s if given (must be primary or enabled), else the primary.
   * @throws {NqcAgentsError} ERR_AGENTS_KEY
   */
  _usable(purpose: KeyPurpose, id?: string): { info: KeyInfo; key: KemIdentity | SigningKey } {
    const all = this.list();
    const info = id === undefined ? all.find((k) => k.purpose === purpose && k.status === 'primary') : all.find((k) => k.id === id);
    if (!info) fail('ERR_AGENTS_KEY', id === undefined ? `no primary ${purpose} key` : `no key with id ${JSON.stringify(id)}`);
    if (info.purpose !== purpose) fail('ERR_AGENTS_KEY', `key ${info.id} is a ${info.purpose} key, not a ${purpose} key`);
    if (info.status !== 'primary' && info.status !== 'enabled') fail('ERR_AGENTS_KEY', `key ${info.id} is ${info.status}`);
    const key = this.#secrets.get(info.id);
    if (!key) fail('ERR_AGENTS_KEY', `key ${info.id} has no secret part here`);
    return { info, key };
  }

  /** @internal Signing key by id (or the primary). */
  _signer(id?: string): SigningKey {
    return this._usable('sign', id).key as SigningKey;
  }

  /** @internal KEM identity by id (or the primary). */
  _identity(id?: string): KemIdentity {
    return this._usable('encrypt', id).key as KemIdentity;
  }

  /** @internal The secret key string of a usable key, for this package's workers. */
  _secretString(purpose: KeyPurpose, id?: string): { info: KeyInfo; text: string } {
    const { info, key } = this._usable(purpose, id);
    let text = this.#strings.get(info.id);
    if (text === undefined) {
      text = key.toString();
      this.#strings.set(info.id, text);
    }
    return { info, text };
  }

  /** @internal Usable encryption keys, primary first then newest (the order a keyset tries them). */
  _unwrapIdentities(): KemIdentity[] {
    const usable = this.list().filter((k) => k.purpose === 'encrypt' && (k.status === 'primary' || k.status === 'enabled') && this.#secrets.has(k.id));
    usable.sort((a, b) => (a.status === 'primary' ? -1 : b.status === 'primary' ? 1 : Date.parse(b.created) - Date.parse(a.created)));
    return usable.map((k) => this.#secrets.get(k.id) as KemIdentity);
  }

  /**
   * Unwraps a file key in this thread with the primary and enabled encryption keys (the keyset's
   * bounded search; disabled and destroyed keys are never tried).
   * @returns the file key, or `null` ("not mine")
   * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT, ERR_PQL_STANZA_MALFORMED
   */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    return this.#keyset.unwrapFileKey(stanzas);
  }

  /**
   * Signs in this thread with a usable signing key (default: the primary).
   * @throws {NqcAgentsError} ERR_AGENTS_KEY; {NqcPqlError} ERR_PQL_INVALID_INPUT, ERR_PQL_SIGNATURE
   */
  sign(message: Uint8Array, options: SignatureOptions & { keyId?: string } = {}): { keyId: string; algorithm: string; signature: Uint8Array } {
    const key = this._signer(options.keyId);
    const signature = key.sign(message, options.context === undefined ? undefined : { context: options.context });
    return { keyId: key.keyId, algorithm: key.algorithm, signature };
  }

  /**
   * Raw KEM decapsulation in this thread with a usable encryption key (default: the primary).
   * @throws {NqcAgentsError} ERR_AGENTS_KEY, ERR_AGENTS_INVALID_INPUT (ciphertext length),
   *   ERR_AGENTS_TASK_FAILED (reason `ERR_KEM_DECAPSULATE`: the KEM refused the ciphertext)
   */
  decapsulate(cipherText: Uint8Array, keyId?: string): { keyId: string; sharedSecret: Uint8Array } {
    const id = this._identity(keyId);
    const kem = getKem(id.algorithm);
    if (!(cipherText instanceof Uint8Array) || cipherText.length !== kem.cipherTextLength) {
      fail('ERR_AGENTS_INVALID_INPUT', `"cipherText" expected Uint8Array of length ${kem.cipherTextLength}`);
    }
    const { bytes: seed } = decodeKeyString(id.toString(), 'identity');
    const { secretKey } = kem.keygen(seed);
    try {
      return { keyId: id.keyId, sharedSecret: kem.decapsulate(cipherText, secretKey) };
    } catch {
      // e.g. an X25519 share of low order: the KEM refuses; one generic answer, no detail
      fail('ERR_AGENTS_TASK_FAILED', 'decapsulation failed', { reason: 'ERR_KEM_DECAPSULATE' });
    } finally {
      seed.fill(0);
      secretKey.fill(0);
    }
  }
}
