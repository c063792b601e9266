/**
 * Oblivious HTTP message encapsulation (RFC 9458 Section 4): requests sealed to a key configuration
 * with HPKE, responses sealed under a key exported from the same HPKE context, so each response is
 * bound to its request.
 * @module
 */
import type { CipherSuite, RecipientContext, SenderContext } from 'hpke';
import { _checkBytes, _concat, _randomBytes, _Reader, _u16, _utf8 } from './_bytes.js';
import { _decryptFailed, NqcChannelError } from './errors.js';
import type { GatewayKey, KeyConfig } from './key-config.js';
import { _cipherSuite, _kemInfo, _symmetric, type Suite, type SymmetricSuite } from './suite.js';

/** Media type of an encapsulated request. */
export const REQUEST_MEDIA_TYPE = 'message/ohttp-req';
/** Media type of an encapsulated response. */
export const RESPONSE_MEDIA_TYPE = 'message/ohttp-res';
/** HPKE info label of requests (RFC 9458 Section 4.3). */
export const REQUEST_LABEL = 'message/bhttp request';
/** Exporter label of responses (RFC 9458 Section 4.4). */
export const RESPONSE_LABEL = 'message/bhttp response';

/** The HPKE state one request leaves behind: what is needed to seal or open its response. */
export type RequestContext = {
  /** The suite used. */
  readonly suite: Suite;
  /** Key identifier of the configuration used. */
  readonly keyId: number;
  /** The KEM encapsulation (`enc`), unique per request: the replay register's key. */
  readonly enc: Uint8Array;
  /** @internal HPKE context (sender on the client, recipient on the gateway). */
  readonly _hpke: SenderContext | RecipientContext;
};

/** Options for the label-parameterised functions (chunked OHTTP and tests use other labels). */
export type LabelOptions = {
  /** Request info label (default {@link REQUEST_LABEL}). */
  label?: string;
  /** @internal A replacement HPKE suite object (known-answer tests fix the ephemeral key with it). */
  _cipherSuite?: CipherSuite;
};

function header(keyId: number, suite: Suite): Uint8Array {
  return _concat(Uint8Array.of(keyId), _u16(suite.kem), _u16(suite.kdf), _u16(suite.aead));
}

/** `info` of the HPKE context: label, a zero byte, then the request header. */
export function _info(label: string, hdr: Uint8Array): Uint8Array {
  return _concat(_utf8(label), Uint8Array.of(0), hdr);
}

/**
 * Picks the first (KDF, AEAD) pair of `config` that this package implements.
 * @throws {NqcChannelError} ERR_CHANNEL_UNKNOWN_KEY when there is none
 */
export function selectSuite(config: KeyConfig): Suite {
  for (const s of config.symmetric) {
    try {
      _symmetric(s);
      return { kem: config.kem, kdf: s.kdf, aead: s.aead };
    } catch {
      // try the next offered pair
    }
  }
  throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', 'the key configuration offers no supported kdf/aead');
}

/** @internal Sets up the sender side; returns the request header plus enc and the context. */
export async function _setupRequest(config: KeyConfig, suite: Suite, label: string, override?: CipherSuite): Promise<{ hdr: Uint8Array; context: RequestContext }> {
  const cs = override ?? _cipherSuite(suite);
  const hdr = header(config.keyId, suite);
  const pk = await cs.DeserializePublicKey(config.publicKey);
  const { encapsulatedSecret, ctx } = await cs.SetupSender(pk, { info: _info(label, hdr) });
  return { hdr: _concat(hdr, encapsulatedSecret), context: { suite, keyId: config.keyId, enc: encapsulatedSecret, _hpke: ctx } };
}

/**
 * Encapsulates a request (RFC 9458 Section 4.3) to `config`.
 * @param config - the gateway's key configuration
 * @param message - the request (binary HTTP, or any content for a repurposed label)
 * @param suite - the (KDF, AEAD) pair to use (default: {@link selectSuite})
 * @returns the encapsulated request and the context that opens its response
 * @throws {NqcChannelError} ERR_CHANNEL_UNKNOWN_KEY, ERR_CHANNEL_INVALID_INPUT
 */
export async function encapsulateRequest(
  config: KeyConfig,
  message: Uint8Array,
  suite?: SymmetricSuite,
  options: LabelOptions = {},
): Promise<{ encapsulated: Uint8Array; context: RequestContext }> {
  _checkBytes('message', message);
  const s: Suite = suite ? { kem: config.kem, kdf: suite.kdf, aead: suite.aead } : selectSuite(config);
  if (!config.symmetric.some((x) => x.kdf === s.kdf && x.aead === s.aead)) {
    throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', 'the key configuration does not offer that kdf/aead');
  }
  const { hdr, context } = await _setupRequest(config, s, options.label ?? REQUEST_LABEL, options._cipherSuite);
  const ct = await (context._hpke as SenderContext).Seal(message);
  return { encapsulated: _concat(hdr, ct), context };
}

/** @internal Parses the request header and sets up the recipient context. */
export async function _openHeader(keys: readonly GatewayKey[], r: _Reader, label: string): Promise<RequestContext> {
  const keyId = r.u8();
  const suite: Suite = { kem: r.u16(), kdf: r.u16(), aead: r.u16() };
  const key = keys.find((k) => k.config.keyId === keyId && k.config.kem === suite.kem && k.config.symmetric.some((s) => s.kdf === suite.kdf && s.aead === suite.aead));
  if (!key) throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', 'no key configuration matches the request');
  const enc = r.bytes(_kemInfo(suite.kem)!.nenc);
  const hdr = _concat(Uint8Array.of(keyId), _u16(suite.kem), _u16(suite.kdf), _u16(suite.aead));
  let ctx: RecipientContext;
  try {
    ctx = await _cipherSuite(suite).SetupRecipient(key._keyPair(), enc, { info: _info(label, hdr) });
  } catch {
    throw _decryptFailed();
  }
  return { suite, keyId, enc, _hpke: ctx };
}

/**
 * Decapsulates a request with the gateway's keys (RFC 9458 Section 4.3).
 * @param keys - the gateway's keys; the request's key id and suite select one
 * @param encapsulated - the encapsulated request
 * @param maxLength - refuse longer requests before any work (default 1 MiB)
 * @throws {NqcChannelError} ERR_CHANNEL_LIMIT, ERR_CHANNEL_MALFORMED, ERR_CHANNEL_UNKNOWN_KEY, ERR_CHANNEL_DECRYPT_FAILED
 */
export async function decapsulateRequest(
  keys: readonly GatewayKey[],
  encapsulated: Uint8Array,
  maxLength = 1 << 20,
  options: LabelOptions = {},
): Promise<{ message: Uint8Array; context: RequestContext }> {
  _checkBytes('encapsulated', encapsulated);
  if (encapsulated.length > maxLength) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `encapsulated request is ${encapsulated.length} bytes, limit ${maxLength}`);
  const r = new _Reader(encapsulated, 'encapsulated request');
  const context = await _openHeader(keys, r, options.label ?? REQUEST_LABEL);
  const ct = r.bytes(r.remaining);
  try {
    return { message: await (context._hpke as RecipientContext).Open(ct), context };
  } catch {
    throw _decryptFailed();
  }
}

/** @internal The response AEAD key and nonce (RFC 9458 Section 4.4), from the exported secret. */
export async function _responseKeys(context: RequestContext, label: string, responseNonce: Uint8Array): Promise<{ key: Uint8Array; nonce: Uint8Array; aead: ReturnType<typeof _symmetric>['aead'] }> {
  const { kdf, aead } = _symmetric(context.suite);
  const secret = await context._hpke.Export(_utf8(label), Math.max(aead.Nn, aead.Nk));
  const prk = await kdf.Extract(_concat(context.enc, responseNonce), secret);
  return { key: await kdf.Expand(prk, _utf8('key'), aead.Nk), nonce: await kdf.Expand(prk, _utf8('nonce'), aead.Nn), aead };
}

/** Length of the response nonce, max(Nn, Nk). */
export function _responseNonceLength(context: RequestContext): number {
  const { aead } = _symmetric(context.suite);
  return Math.max(aead.Nn, aead.Nk);
}

/** Options of {@link encapsulateResponse}. */
export type ResponseOptions = {
  /** Exporter label (default {@link RESPONSE_LABEL}). */
  label?: string;
  /** The response nonce; random by default. Only known-answer tests set it. */
  responseNonce?: Uint8Array;
};

/**
 * Encapsulates a response to the request that produced `context` (RFC 9458 Section 4.4).
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT
 */
export async function encapsulateResponse(context: RequestContext, message: Uint8Array, options: ResponseOptions = {}): Promise<Uint8Array> {
  _checkBytes('message', message);
  const n = _responseNonceLength(context);
  const responseNonce = options.responseNonce ? _checkBytes('responseNonce', options.responseNonce, n) : _randomBytes(n);
  const { key, nonce, aead } = await _responseKeys(context, options.label ?? RESPONSE_LABEL, responseNonce);
  return _concat(responseNonce, await aead.Seal(key, nonce, new Uint8Array(0), message));
}

/**
 * Opens a response with the context of its request (RFC 9458 Section 4.4).
 * @param maxLength - refuse longer responses before any work (default 16 MiB)
 * @throws {NqcChannelError} ERR_CHANNEL_LIMIT, ERR_CHANNEL_MALFORMED, ERR_CHANNEL_DECRYPT_FAILED
 */
export async function decapsulateResponse(context: RequestContext, encapsulated: Uint8Array, maxLength = 16 << 20, options: { label?: string } = {}): Promise<Uint8Array> {
  _checkBytes('encapsulated', encapsulated);
  if (encapsulated.length > maxLength) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `encapsulated response is ${encapsulated.length} bytes, limit ${maxLength}`);
  const n = _responseNonceLength(context);
  const { aead } = _symmetric(context.suite);
  if (encapsulated.length < n + aead.Nt) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'encapsulated response is truncated');
  const { key, nonce } = await _responseKeys(context, options.label ?? RESPONSE_LABEL, encapsulated.subarray(0, n));
  try {
    return await aead.Open(key, nonce, new Uint8Array(0), encapsulated.subarray(n));
  } catch {
    throw _decryptFailed();
  }
}
