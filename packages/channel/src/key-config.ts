/**
 * OHTTP key configurations (RFC 9458 Section 3) and the `application/ohttp-keys` list (RFC 9540
 * Section 3.2), plus the gateway's secret key that a configuration describes.
 * @module
 */
import type { Key, KeyPair } from 'hpke';
import { _checkBytes, _concat, _equal, _randomBytes, _Reader, _u16 } from './_bytes.js';
import { NqcChannelError } from './errors.js';
import { _cipherSuite, _kemInfo, DEFAULT_SUITE, type Suite, type SymmetricSuite } from './suite.js';

/** Most configurations accepted in one `application/ohttp-keys` document. */
export const MAX_KEY_CONFIGS = 16;
/** Most (KDF, AEAD) pairs accepted in one configuration. */
export const MAX_SYMMETRIC_SUITES = 16;

/** A public key configuration, as a client sees it. */
export type KeyConfig = {
  /** Key identifier, 0..255. */
  readonly keyId: number;
  /** HPKE KEM id. */
  readonly kem: number;
  /** Encoded public key (Npk bytes). */
  readonly publicKey: Uint8Array;
  /** Offered (KDF, AEAD) pairs, in the gateway's order of preference. */
  readonly symmetric: readonly SymmetricSuite[];
};

function checkId(name: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"${name}" expected an integer in 0..${max}, got ${String(n)}`);
  }
}

/**
 * Encodes one key configuration (RFC 9458 Section 3.1).
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT
 */
export function encodeKeyConfig(config: KeyConfig): Uint8Array {
  checkId('keyId', config.keyId, 0xff);
  const info = _kemInfo(config.kem);
  if (!info) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `unsupported kem 0x${config.kem.toString(16)}`);
  _checkBytes('publicKey', config.publicKey, info.npk);
  if (config.symmetric.length < 1 || config.symmetric.length > MAX_SYMMETRIC_SUITES) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"symmetric" expected 1..${MAX_SYMMETRIC_SUITES} suites, got ${config.symmetric.length}`);
  }
  const sym = config.symmetric.map((s) => {
    checkId('kdf', s.kdf, 0xffff);
    checkId('aead', s.aead, 0xffff);
    return _concat(_u16(s.kdf), _u16(s.aead));
  });
  return _concat(Uint8Array.of(config.keyId), _u16(config.kem), config.publicKey, _u16(4 * sym.length), ...sym);
}

/**
 * Parses one key configuration. Returns undefined for a KEM this package does not implement (its
 * public-key length is unknown); throws on anything malformed, including trailing bytes.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export function parseKeyConfig(bytes: Uint8Array): KeyConfig | undefined {
  _checkBytes('bytes', bytes);
  const r = new _Reader(bytes, 'key configuration');
  const keyId = r.u8();
  const kem = r.u16();
  const info = _kemInfo(kem);
  if (!info) return undefined;
  const publicKey = r.bytes(info.npk);
  const symLen = r.u16();
  if (symLen === 0 || symLen % 4 !== 0) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `key configuration has a bad algorithms length ${symLen}`);
  if (symLen / 4 > MAX_SYMMETRIC_SUITES) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `key configuration offers ${symLen / 4} suites, limit ${MAX_SYMMETRIC_SUITES}`);
  const symmetric: SymmetricSuite[] = [];
  for (let i = 0; i < symLen / 4; i++) symmetric.push(Object.freeze({ kdf: r.u16(), aead: r.u16() }));
  r.end();
  return Object.freeze({ keyId, kem, publicKey, symmetric: Object.freeze(symmetric) });
}

/**
 * Encodes an `application/ohttp-keys` document: each configuration prefixed by its 2-byte length.
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT
 */
export function encodeKeyConfigs(configs: readonly KeyConfig[]): Uint8Array {
  if (configs.length < 1 || configs.length > MAX_KEY_CONFIGS) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `expected 1..${MAX_KEY_CONFIGS} key configurations, got ${configs.length}`);
  }
  return _concat(...configs.map((c) => {
    const b = encodeKeyConfig(c);
    return _concat(_u16(b.length), b);
  }));
}

/**
 * Parses an `application/ohttp-keys` document. Configurations with a KEM this package does not
 * implement are skipped (RFC 9540: clients ignore what they do not support).
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT (more than {@link MAX_KEY_CONFIGS})
 */
export function parseKeyConfigs(bytes: Uint8Array): KeyConfig[] {
  _checkBytes('bytes', bytes);
  const r = new _Reader(bytes, 'ohttp-keys');
  const out: KeyConfig[] = [];
  let n = 0;
  while (r.remaining > 0) {
    if (++n > MAX_KEY_CONFIGS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `more than ${MAX_KEY_CONFIGS} key configurations`);
    const len = r.u16();
    const c = parseKeyConfig(r.bytes(len));
    if (c) out.push(c);
  }
  if (n === 0) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'ohttp-keys is empty');
  return out;
}

/** Options for the {@link GatewayKey} constructors. */
export type GatewayKeyOptions = {
  /** Key identifier 0..255 (default 0). Rotate by publishing a new id. */
  keyId?: number;
  /** HPKE KEM (default X-Wing, {@link KEM_XWING}). */
  kem?: number;
  /** Offered (KDF, AEAD) pairs, preferred first (default HKDF-SHA256 + ChaCha20-Poly1305). */
  symmetric?: readonly SymmetricSuite[];
};

/** Length of the seed a gateway key is derived from (HPKE DeriveKeyPair input). */
export const GATEWAY_SEED_LENGTH = 32;

/**
 * A gateway's secret HPKE key and its public configuration.
 * @example
 * ```ts
 * const key = await GatewayKey.generate({ keyId: 1 });
 * encodeKeyConfigs([key.config]); // application/ohttp-keys
 * const again = await GatewayKey.fromSeed(key.exportSeed(), { keyId: 1 }); // same key
 * ```
 */
export class GatewayKey {
  /** The public configuration. */
  readonly config: KeyConfig;
  readonly #seed: Uint8Array | undefined;
  readonly #pair: KeyPair<Key>;

  private constructor(config: KeyConfig, seed: Uint8Array | undefined, pair: KeyPair<Key>) {
    this.config = config;
    this.#seed = seed;
    this.#pair = pair;
  }

  /** Generates a fresh key from the CSPRNG (a random seed through {@link GatewayKey.fromSeed}). */
  static async generate(options: GatewayKeyOptions = {}): Promise<GatewayKey> {
    return GatewayKey.fromSeed(_randomBytes(GATEWAY_SEED_LENGTH), options);
  }

  /**
   * Derives the key from a 32-byte seed with HPKE `DeriveKeyPair` (RFC 9180 Section 7.1.3;
   * draft-ietf-hpke-pq for X-Wing). Store the seed to restore the key.
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT
   */
  static async fromSeed(seed: Uint8Array, options: GatewayKeyOptions = {}): Promise<GatewayKey> {
    _checkBytes('seed', seed, GATEWAY_SEED_LENGTH);
    const suite = suiteOf(options);
    const copy = Uint8Array.from(seed);
    const pair = await _cipherSuite(suite).DeriveKeyPair(copy, false);
    return GatewayKey.#build(options, suite, copy, pair);
  }

  /**
   * Loads a key from a serialized HPKE private key and its public key (for keys made elsewhere, such
   * as the RFC 9458 example). The pair is checked by one encapsulate/decapsulate round trip.
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (wrong lengths, or the keys do not match)
   */
  static async fromPrivateKey(privateKey: Uint8Array, publicKey: Uint8Array, options: GatewayKeyOptions = {}): Promise<GatewayKey> {
    const suite = suiteOf(options);
    const info = _kemInfo(suite.kem)!;
    _checkBytes('privateKey', privateKey, info.nsk);
    _checkBytes('publicKey', publicKey, info.npk);
    const cs = _cipherSuite(suite);
    const pair = { privateKey: await cs.DeserializePrivateKey(Uint8Array.from(privateKey), false), publicKey: await cs.DeserializePublicKey(Uint8Array.from(publicKey)) };
    const probe = await cs.SetupSender(pair.publicKey, { info: Uint8Array.of(0) });
    const back = await cs.SetupRecipient(pair, probe.encapsulatedSecret, { info: Uint8Array.of(0) });
    const a = await probe.ctx.Export(Uint8Array.of(0), 32);
    const b = await back.Export(Uint8Array.of(0), 32);
    if (!_equal(a, b)) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the private key does not match the public key');
    return GatewayKey.#build(options, suite, undefined, pair);
  }

  static async #build(options: GatewayKeyOptions, suite: Suite, seed: Uint8Array | undefined, pair: KeyPair<Key>): Promise<GatewayKey> {
    const symmetric = options.symmetric ?? [{ kdf: DEFAULT_SUITE.kdf, aead: DEFAULT_SUITE.aead }];
    const config: KeyConfig = Object.freeze({
      keyId: options.keyId ?? 0,
      kem: suite.kem,
      publicKey: await _cipherSuite(suite).SerializePublicKey(pair.publicKey),
      symmetric: Object.freeze(symmetric.map((s) => Object.freeze({ kdf: s.kdf, aead: s.aead }))),
    });
    encodeKeyConfig(config); // validates ids and counts
    for (const s of config.symmetric) _cipherSuite({ kem: config.kem, ...s }); // every offered suite is implemented
    return new GatewayKey(config, seed, pair);
  }

  /**
   * The seed (a copy), or throws for a key loaded with {@link GatewayKey.fromPrivateKey}. Handle with care.
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT
   */
  exportSeed(): Uint8Array {
    if (!this.#seed) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'this key was not made from a seed');
    return Uint8Array.from(this.#seed);
  }

  /** @internal The library key pair, for decapsulation. */
  _keyPair(): KeyPair<Key> {
    return this.#pair;
  }
}

function suiteOf(options: GatewayKeyOptions): Suite {
  const kem = options.kem ?? DEFAULT_SUITE.kem;
  if (!_kemInfo(kem)) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `unsupported kem 0x${kem.toString(16)}`);
  const s = options.symmetric?.[0] ?? DEFAULT_SUITE;
  return { kem, kdf: s.kdf, aead: s.aead };
}
