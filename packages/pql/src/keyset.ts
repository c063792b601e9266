/**
 * Keysets (after Tink): a set of keys with ids, purpose, algorithm, creation time and status, for
 * key rotation. A keyset is an {@link Identity} (it opens anything its enabled keys can open) and
 * gives its primary keys as the {@link Recipient} and {@link Signer} for new data.
 *
 * Serialised as JSON (`{"nqcKeyset":1,"keys":[...]}`) holding secret key strings in clear: store it
 * like an identity file (owner-only), or export the public part with {@link Keyset.publicOnly}.
 * @module
 */
import { _equal } from './_bytes.js';
import { NqcPqlError } from './errors.js';
import { DEFAULT_KEM, KemIdentity, KemRecipient, parseIdentity, parseRecipient, _candidates } from './kem.js';
import { decodeKeyString } from './key-string.js';
import { getKem } from './registry.js';
import { DEFAULT_SIGNATURE, parseSigningKey, parseVerifyingKey, SigningKey, VerifyingKey } from './signature.js';
import { _checkStanzas, type Identity, type Stanza } from './stanza.js';

/** What a key is for. */
export type KeyPurpose = 'encrypt' | 'sign';
/**
 * Key status. `primary`: used for new data (one per purpose); `enabled`: still opens/verifies old
 * data; `disabled`: kept but unused (can be re-enabled); `destroyed`: secret erased, metadata kept.
 */
export type KeyStatus = 'primary' | 'enabled' | 'disabled' | 'destroyed';

/** Public metadata of one key in a keyset. */
export type KeyInfo = {
  /** Key id (8 hex chars), derived from the public key; also the stanza hint. */
  id: string;
  /** `encrypt` (KEM) or `sign`. */
  purpose: KeyPurpose;
  /** Registered algorithm id. */
  algorithm: string;
  /** Creation time, ISO 8601 UTC. */
  created: string;
  /** Current status. */
  status: KeyStatus;
  /** Public key string (recipient or verifying key). */
  publicKey: string;
  /** Whether this keyset holds the secret part. */
  hasSecret: boolean;
};

type Entry = {
  id: string;
  purpose: KeyPurpose;
  algorithm: string;
  created: string;
  status: KeyStatus;
  public: KemRecipient | VerifyingKey;
  secret: KemIdentity | SigningKey | undefined;
};

/** Options for {@link Keyset.add} and {@link Keyset.import}. */
export type AddKeyOptions = {
  /** Make the new key primary at once (default: only when the purpose has no primary yet). */
  primary?: boolean;
  /** Creation time (default now). */
  created?: Date;
};

const STATUSES: readonly KeyStatus[] = ['primary', 'enabled', 'disabled', 'destroyed'];
/** Most keys a parsed keyset may hold. */
export const MAX_KEYSET_KEYS = 1000;
/**
 * Most keys a keyset tries on one stanza without a key-id hint: the primary key of the stanza's type
 * first, then the most recently created enabled keys of that type. Older enabled keys still open
 * hinted stanzas (the default), but not hint-less ones.
 */
export const MAX_UNHINTED_KEYS = 8;
/**
 * Most decapsulations one {@link Keyset.unwrapFileKey} call performs, hinted and hint-less stanzas
 * together (hinted stanzas are tried first). When the budget runs out the keyset stops and answers
 * `null` ("not mine"), so an attacker-built envelope costs at most this many decapsulations.
 */
export const MAX_UNWRAP_DECAPSULATIONS = 64;

function fail(message: string): never {
  throw new NqcPqlError('ERR_PQL_KEYSET', message);
}

/**
 * A keyset: create, rotate, disable, destroy, serialise.
 * @example
 * ```ts
 * const ks = Keyset.create();
 * ks.add('encrypt');                       // X-Wing, becomes primary
 * const stanzas = ks.primaryRecipient().wrapFileKey(fileKey);
 * const next = ks.add('encrypt', 'xwing', { primary: true }); // rotate
 * ks.unwrapFileKey(stanzas);               // still opens: the old key is enabled
 * ```
 */
export class Keyset implements Identity {
  readonly #entries: Entry[] = [];

  private constructor() {}

  /** An empty keyset. */
  static create(): Keyset {
    return new Keyset();
  }

  /**
   * Generates and adds a key.
   * @param purpose - `encrypt` or `sign`
   * @param algorithm - registered id (default `xwing` / `mldsa65`)
   * @returns the new key's metadata
   * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_KEYSET (wrong family, id collision)
   */
  add(purpose: KeyPurpose, algorithm?: string, options: AddKeyOptions = {}): KeyInfo {
    if (purpose === 'encrypt') return this.import(KemIdentity.generate(algorithm ?? DEFAULT_KEM), options);
    if (purpose === 'sign') return this.import(SigningKey.generate(algorithm ?? DEFAULT_SIGNATURE), options);
    fail(`unknown purpose ${JSON.stringify(purpose)}: expected "encrypt" or "sign"`);
  }

  /**
   * Adds an existing secret key (a {@link KemIdentity} → purpose `encrypt`, a {@link SigningKey} →
   * `sign`).
   * @throws {NqcPqlError} ERR_PQL_KEYSET when a key with the same id is already present
   */
  import(key: KemIdentity | SigningKey, options: AddKeyOptions = {}): KeyInfo {
    const purpose: KeyPurpose = key instanceof KemIdentity ? 'encrypt' : key instanceof SigningKey ? 'sign' : fail('expected a KemIdentity or SigningKey');
    const pub = key instanceof KemIdentity ? key.recipient() : key.verifyingKey();
    const created = options.created ?? new Date();
    if (!(created instanceof Date) || Number.isNaN(created.getTime())) fail('"created" must be a valid Date');
    if (this.#entries.some((e) => e.id === key.keyId)) fail(`a key with id ${key.keyId} is already in the keyset`);
    const hasPrimary = this.#entries.some((e) => e.purpose === purpose && e.status === 'primary');
    const entry: Entry = {
      id: key.keyId,
      purpose,
      algorithm: key.algorithm,
      created: created.toISOString(),
      status: hasPrimary ? 'enabled' : 'primary',
      public: pub,
      secret: key,
    };
    this.#entries.push(entry);
    if (options.primary && hasPrimary) this.promote(entry.id);
    return info(entry);
  }

  /** Metadata of every key, in insertion order. */
  list(): KeyInfo[] {
    return this.#entries.map(info);
  }

  /** Metadata of one key. @throws {NqcPqlError} ERR_PQL_KEYSET when the id is unknown */
  get(id: string): KeyInfo {
    return info(this.#find(id));
  }

  #find(id: string): Entry {
    const e = this.#entries.find((x) => x.id === id);
    if (!e) fail(`no key with id ${JSON.stringify(id)}`);
    return e;
  }

  /**
   * Makes `id` the primary key of its purpose (rotation); the old primary becomes `enabled`, so
   * data made for it stays openable. Only an `enabled` (or already primary) key can be promoted.
   * @throws {NqcPqlError} ERR_PQL_KEYSET
   */
  promote(id: string): void {
    const e = this.#find(id);
    if (e.status === 'primary') return;
    if (e.status !== 'enabled') fail(`key ${id} is ${e.status}: only an enabled key can be promoted`);
    if (!e.secret) fail(`key ${id} has no secret part: a public-only key cannot be primary`);
    for (const o of this.#entries) if (o.purpose === e.purpose && o.status === 'primary') o.status = 'enabled';
    e.status = 'primary';
  }

  /** Disables an enabled key (it no longer opens or verifies anything). @throws {NqcPqlError} ERR_PQL_KEYSET for the primary or a destroyed key */
  disable(id: string): void {
    const e = this.#find(id);
    if (e.status === 'primary') fail(`key ${id} is primary: promote another key first`);
    if (e.status === 'destroyed') fail(`key ${id} is destroyed`);
    e.status = 'disabled';
  }

  /** Re-enables a disabled key. @throws {NqcPqlError} ERR_PQL_KEYSET for a destroyed key */
  enable(id: string): void {
    const e = this.#find(id);
    if (e.status === 'destroyed') fail(`key ${id} is destroyed and cannot be enabled`);
    if (e.status === 'disabled') e.status = 'enabled';
  }

  /**
   * Destroys a key: erases its secret material (best effort in JS memory) and drops it from the
   * serialised form; the id, algorithm and public key stay for the record. Irreversible.
   * @throws {NqcPqlError} ERR_PQL_KEYSET for the primary key
   */
  destroy(id: string): void {
    const e = this.#find(id);
    if (e.status === 'primary') fail(`key ${id} is primary: promote another key first`);
    e.secret?.wipe();
    e.secret = undefined;
    e.status = 'destroyed';
  }

  /** The primary encryption key as a recipient. @throws {NqcPqlError} ERR_PQL_KEYSET when there is none */
  primaryRecipient(): KemRecipient {
    const e = this.#entries.find((x) => x.purpose === 'encrypt' && x.status === 'primary');
    if (!e) fail('the keyset has no primary encryption key');
    return e.public as KemRecipient;
  }

  /** The primary signing key. @throws {NqcPqlError} ERR_PQL_KEYSET when there is none (or it is public-only) */
  primarySigner(): SigningKey {
    const e = this.#entries.find((x) => x.purpose === 'sign' && x.status === 'primary');
    if (!e) fail('the keyset has no primary signing key');
    if (!e.secret) fail(`key ${e.id} has no secret part`);
    return e.secret as SigningKey;
  }

  /** Verifying keys of every primary or enabled signing key. */
  verifiers(): VerifyingKey[] {
    return this.#entries
      .filter((e) => e.purpose === 'sign' && (e.status === 'primary' || e.status === 'enabled'))
      .map((e) => e.public as VerifyingKey);
  }

  /**
   * Unwraps with the keyset's primary and enabled encryption keys. Disabled and destroyed keys are
   * never used. The work is bounded whatever the envelope holds:
   *
   * - a stanza with a key-id hint is tried only with the key of that id (hinted stanzas go first);
   * - a stanza without a hint is tried with at most {@link MAX_UNHINTED_KEYS} keys of its type: the
   *   primary key, then the most recently created enabled keys;
   * - at most {@link MAX_UNWRAP_DECAPSULATIONS} decapsulations per call in total; past that the
   *   keyset gives up and returns `null`.
   *
   * So a hint-less stanza made for an older enabled key (beyond the 8 most recent) is not opened by
   * the keyset: open it with that key's {@link KemIdentity}, or write hinted stanzas (the default).
   * @returns the file key, or `null` ("not mine", or the decapsulation budget is spent)
   * @throws {NqcPqlError} ERR_PQL_STANZA_MALFORMED for a malformed stanza of a usable key's type
   */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    const list = _checkStanzas(stanzas);
    const usable = this.#entries
      .map((e, index) => ({ e, index }))
      .filter(({ e }) => e.purpose === 'encrypt' && e.secret && (e.status === 'primary' || e.status === 'enabled'));
    // Shape-check every stanza of every usable type before any decapsulation.
    const hinted: { stanza: Stanza; keys: Entry[] }[] = [];
    const unhinted: { stanza: Stanza; keys: Entry[] }[] = [];
    const checked = new Set<string>();
    for (const { e } of usable) {
      if (checked.has(e.algorithm)) continue;
      checked.add(e.algorithm);
      const ofType = usable.filter((u) => u.e.algorithm === e.algorithm);
      // Primary first, then newest created (insertion order breaks ties: later first).
      const order = [...ofType]
        .sort((a, b) =>
          a.e.status === 'primary' ? -1 : b.e.status === 'primary' ? 1 : Date.parse(b.e.created) - Date.parse(a.e.created) || b.index - a.index,
        )
        .slice(0, MAX_UNHINTED_KEYS)
        .map((u) => u.e);
      for (const { stanza, hint } of _candidates(getKem(e.algorithm), list)) {
        if (hint === undefined) unhinted.push({ stanza, keys: order });
        else hinted.push({ stanza, keys: ofType.filter((u) => u.e.id === hint).map((u) => u.e) });
      }
    }
    let budget = MAX_UNWRAP_DECAPSULATIONS;
    for (const { stanza, keys } of [...hinted, ...unhinted]) {
      for (const e of keys) {
        if (budget-- <= 0) return null;
        const fk = (e.secret as KemIdentity).unwrapFileKey([stanza]);
        if (fk) return fk;
      }
    }
    return null;
  }

  /** A copy holding only public keys (destroyed keys included as records). */
  publicOnly(): Keyset {
    const k = new Keyset();
    for (const e of this.#entries) k.#entries.push({ ...e, secret: undefined });
    return k;
  }

  /**
   * Serialises the keyset as JSON. Secret key strings are included in clear for keys that have them.
   */
  serialize(): string {
    return JSON.stringify(
      {
        nqcKeyset: 1,
        keys: this.#entries.map((e) => ({
          id: e.id,
          purpose: e.purpose,
          algorithm: e.algorithm,
          created: e.created,
          status: e.status,
          publicKey: e.public.toString(),
          ...(e.secret ? { secretKey: e.secret.toString() } : {}),
        })),
      },
      null,
      2,
    );
  }

  /**
   * Parses a serialised keyset, checking every field: known statuses and purposes, one primary per
   * purpose at most, ids matching the public keys, secrets matching the public keys, no secret for a
   * destroyed key, no duplicate ids.
   * @throws {NqcPqlError} ERR_PQL_KEYSET (or ERR_PQL_KEY_STRING for a bad key string)
   */
  static parse(text: string): Keyset {
    if (typeof text !== 'string') fail(`keyset expected string, got ${typeof text}`);
    if (text.length > 64 << 20) fail('keyset too large');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      fail('keyset is not valid JSON');
    }
    const d = doc as { nqcKeyset?: unknown; keys?: unknown };
    if (typeof d !== 'object' || d === null || Array.isArray(d)) fail('keyset must be a JSON object');
    const extra = Object.keys(d).filter((k) => k !== 'nqcKeyset' && k !== 'keys');
    if (extra.length) fail(`unknown keyset field "${extra[0]}"`);
    if (d.nqcKeyset !== 1) fail(`unsupported keyset version ${JSON.stringify(d.nqcKeyset)}`);
    if (!Array.isArray(d.keys)) fail('"keys" must be an array');
    if (d.keys.length > MAX_KEYSET_KEYS) fail(`too many keys: ${d.keys.length} > ${MAX_KEYSET_KEYS}`);
    const ks = new Keyset();
    d.keys.forEach((raw: unknown, i: number) => ks.#entries.push(parseEntry(raw, i)));
    const ids = new Set<string>();
    for (const e of ks.#entries) {
      if (ids.has(e.id)) fail(`duplicate key id ${e.id}`);
      ids.add(e.id);
    }
    for (const p of ['encrypt', 'sign'] as const) {
      if (ks.#entries.filter((e) => e.purpose === p && e.status === 'primary').length > 1) fail(`more than one primary ${p} key`);
    }
    return ks;
  }
}

const FIELDS = new Set(['id', 'purpose', 'algorithm', 'created', 'status', 'publicKey', 'secretKey']);

function parseEntry(raw: unknown, i: number): Entry {
  const r = raw as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(`key ${i}: must be an object`);
  for (const k of Object.keys(r)) if (!FIELDS.has(k)) fail(`key ${i}: unknown field "${k}"`);
  const { id, purpose, algorithm, created, status, publicKey, secretKey } = r;
  if (purpose !== 'encrypt' && purpose !== 'sign') fail(`key ${i}: "purpose" must be "encrypt" or "sign"`);
  if (typeof status !== 'string' || !STATUSES.includes(status as KeyStatus)) fail(`key ${i}: invalid "status"`);
  if (typeof created !== 'string' || Number.isNaN(Date.parse(created)) || new Date(created).toISOString() !== created) {
    fail(`key ${i}: "created" must be an ISO 8601 UTC timestamp`);
  }
  if (typeof publicKey !== 'string') fail(`key ${i}: "publicKey" must be a string`);
  const pub = purpose === 'encrypt' ? parseRecipient(publicKey) : parseVerifyingKey(publicKey);
  if (algorithm !== pub.algorithm) fail(`key ${i}: "algorithm" does not match the public key (${pub.algorithm})`);
  if (id !== pub.keyId) fail(`key ${i}: "id" does not match the public key`);
  let secret: KemIdentity | SigningKey | undefined;
  if (secretKey !== undefined) {
    if (status === 'destroyed') fail(`key ${i}: a destroyed key must not carry a secret`);
    if (typeof secretKey !== 'string') fail(`key ${i}: "secretKey" must be a string`);
    decodeKeyString(secretKey, purpose === 'encrypt' ? 'identity' : 'signing-key');
    secret = purpose === 'encrypt' ? parseIdentity(secretKey) : parseSigningKey(secretKey);
    if (secret.algorithm !== pub.algorithm || !_equal(secret.publicKey, pub.publicKey)) {
      fail(`key ${i}: secret key does not match the public key`);
    }
  }
  // A key without a secret is allowed in any status: a public-only export keeps statuses.
  return { id: pub.keyId, purpose, algorithm: pub.algorithm, created, status: status as KeyStatus, public: pub, secret };
}

function info(e: Entry): KeyInfo {
  return {
    id: e.id,
    purpose: e.purpose,
    algorithm: e.algorithm,
    created: e.created,
    status: e.status,
    publicKey: e.public.toString(),
    hasSecret: e.secret !== undefined,
  };
}
