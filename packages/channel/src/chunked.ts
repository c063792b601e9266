/**
 * Chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp-08): requests and responses sealed chunk by
 * chunk, so bodies can stream. Order is protected by the nonce sequence, the end by the final
 * chunk's AAD "final": reordering, truncation and a missing final chunk are all detected.
 *
 * Parsers are push-style (`push(bytes)` returns the plaintext chunks available, `end()` returns
 * the final one and fails if the stream was cut), so they fit Web Streams and Node streams alike.
 * @module
 */
import type { RecipientContext, SenderContext } from 'hpke';
import { _checkBytes, _concat, _randomBytes, _Reader, _utf8, _varint } from './_bytes.js';
import { _decryptFailed, NqcChannelError } from './errors.js';
import type { GatewayKey, KeyConfig } from './key-config.js';
import { _openHeader, _responseKeys, _responseNonceLength, _setupRequest, selectSuite, type LabelOptions, type RequestContext } from './ohttp.js';
import { _kemInfo, type SymmetricSuite } from './suite.js';

/** Media type of a chunked encapsulated request. */
export const CHUNKED_REQUEST_MEDIA_TYPE = 'message/ohttp-chunked-req';
/** Media type of a chunked encapsulated response. */
export const CHUNKED_RESPONSE_MEDIA_TYPE = 'message/ohttp-chunked-res';
/** HPKE info label of chunked requests. */
export const CHUNKED_REQUEST_LABEL = 'message/bhttp chunked request';
/** Exporter label of chunked responses. */
export const CHUNKED_RESPONSE_LABEL = 'message/bhttp chunked response';
/** Default largest sealed chunk accepted (the draft requires 16 KiB of plaintext; we take 64 KiB). */
export const DEFAULT_MAX_CHUNK = 64 * 1024 + 16;
/** Most chunks in one message (far below every nonce limit). */
const MAX_CHUNKS = 2 ** 32;

const FINAL = _utf8('final');
const EMPTY = new Uint8Array(0);

/** Seals the chunks of one message; the last call must pass `final = true`, after which it refuses. */
export interface ChunkSealer {
  /**
   * Seals `chunk` and returns its wire form (length prefix + sealed chunk; a zero length for the
   * final chunk). Non-final chunks must not be empty.
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (empty non-final chunk, use after final)
   */
  seal(chunk: Uint8Array, final: boolean): Promise<Uint8Array>;
}

/** Opens a chunked stream incrementally. */
export interface ChunkOpener {
  /**
   * Feeds bytes; returns the plaintext of every non-final chunk completed by them.
   * @throws {NqcChannelError} ERR_CHANNEL_LIMIT, ERR_CHANNEL_DECRYPT_FAILED
   */
  push(bytes: Uint8Array): Promise<Uint8Array[]>;
  /**
   * Ends the stream and returns the final chunk's plaintext.
   * @throws {NqcChannelError} ERR_CHANNEL_DECRYPT_FAILED when the stream is truncated or the final chunk is wrong
   */
  end(): Promise<Uint8Array>;
}

class Sealer implements ChunkSealer {
  #done = false;
  #count = 0;
  readonly #seal: (pt: Uint8Array, aad: Uint8Array, index: number) => Promise<Uint8Array>;
  constructor(seal: (pt: Uint8Array, aad: Uint8Array, index: number) => Promise<Uint8Array>) {
    this.#seal = seal;
  }
  async seal(chunk: Uint8Array, final: boolean): Promise<Uint8Array> {
    _checkBytes('chunk', chunk);
    if (this.#done) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the final chunk was already sealed');
    if (!final && chunk.length === 0) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'a non-final chunk must not be empty');
    if (this.#count >= MAX_CHUNKS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'too many chunks');
    if (final) this.#done = true;
    const ct = await this.#seal(chunk, final ? FINAL : EMPTY, this.#count++);
    return final ? _concat(_varint(0), ct) : _concat(_varint(ct.length), ct);
  }
}

class Opener implements ChunkOpener {
  #buf: Uint8Array = EMPTY;
  #final = false;
  #ended = false;
  #count = 0;
  readonly #max: number;
  readonly #open: (ct: Uint8Array, aad: Uint8Array, index: number) => Promise<Uint8Array>;
  constructor(max: number, open: (ct: Uint8Array, aad: Uint8Array, index: number) => Promise<Uint8Array>, initial: Uint8Array = EMPTY) {
    this.#max = max;
    this.#open = open;
    this.#buf = initial;
  }
  async #openOne(ct: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    if (this.#count >= MAX_CHUNKS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'too many chunks');
    try {
      return await this.#open(ct, aad, this.#count++);
    } catch {
      throw _decryptFailed();
    }
  }
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    _checkBytes('bytes', bytes);
    if (this.#ended) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the stream has ended');
    try {
      return await this.#push(bytes);
    } catch (e) {
      this.#ended = true; // a failed stream stays failed
      throw e;
    }
  }
  async #push(bytes: Uint8Array): Promise<Uint8Array[]> {
    this.#buf = this.#buf.length ? _concat(this.#buf, bytes) : Uint8Array.from(bytes);
    if (this.#final) {
      if (this.#buf.length > this.#max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `final chunk exceeds ${this.#max} bytes`);
      return [];
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#buf.length === 0) break;
      const r = new _Reader(this.#buf, 'chunk');
      let len: number;
      try {
        len = r.varint(false);
      } catch (e) {
        if (e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_MALFORMED') break; // varint not complete yet
        throw e;
      }
      if (len === 0) {
        this.#final = true;
        this.#buf = this.#buf.subarray(r.offset);
        if (this.#buf.length > this.#max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `final chunk exceeds ${this.#max} bytes`);
        break;
      }
      if (len > this.#max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `chunk is ${len} bytes, limit ${this.#max}`);
      if (r.remaining < len) break;
      const pt = await this.#openOne(r.bytes(len), EMPTY);
      if (pt.length === 0) throw _decryptFailed(); // an empty non-final chunk is an error (draft Section 6)
      out.push(pt);
      this.#buf = this.#buf.subarray(r.offset);
    }
    return out;
  }
  async end(): Promise<Uint8Array> {
    if (this.#ended) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the stream has ended');
    this.#ended = true;
    if (!this.#final) throw _decryptFailed(); // truncated: no final chunk
    const ct = this.#buf;
    this.#buf = EMPTY;
    return this.#openOne(ct, FINAL);
  }
}

/**
 * Starts a chunked request to `config`: returns the header to send first, the context that opens
 * the response, and the sealer for the body chunks.
 * @throws {NqcChannelError} ERR_CHANNEL_UNKNOWN_KEY
 */
export async function encapsulateChunkedRequest(
  config: KeyConfig,
  suite?: SymmetricSuite,
  options: LabelOptions = {},
): Promise<{ header: Uint8Array; context: RequestContext; sealer: ChunkSealer }> {
  const s = suite ? { kem: config.kem, kdf: suite.kdf, aead: suite.aead } : selectSuite(config);
  if (!config.symmetric.some((x) => x.kdf === s.kdf && x.aead === s.aead)) throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', 'the key configuration does not offer that kdf/aead');
  const { hdr, context } = await _setupRequest(config, s, options.label ?? CHUNKED_REQUEST_LABEL, options._cipherSuite);
  const ctx = context._hpke as SenderContext;
  return { header: hdr, context, sealer: new Sealer((pt, aad) => ctx.Seal(pt, aad)) };
}

/**
 * Opens a chunked request: pass the first bytes (at least the header); returns the context and an
 * opener already fed with whatever followed the header.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED (header incomplete), ERR_CHANNEL_UNKNOWN_KEY, ERR_CHANNEL_DECRYPT_FAILED
 */
export async function decapsulateChunkedRequest(
  keys: readonly GatewayKey[],
  first: Uint8Array,
  options: { label?: string; maxChunk?: number } = {},
): Promise<{ context: RequestContext; opener: ChunkOpener; chunks: Uint8Array[] }> {
  _checkBytes('first', first);
  const r = new _Reader(first, 'chunked request header');
  const context = await _openHeader(keys, r, options.label ?? CHUNKED_REQUEST_LABEL);
  const ctx = context._hpke as RecipientContext;
  const opener = new Opener(options.maxChunk ?? DEFAULT_MAX_CHUNK, (ct, aad) => ctx.Open(ct, aad));
  return { context, opener, chunks: await opener.push(first.subarray(r.offset)) };
}

/** Bytes needed before {@link decapsulateChunkedRequest} can read the header, for a KEM id. */
export function chunkedRequestHeaderLength(kem: number): number | undefined {
  const info = _kemInfo(kem);
  return info && 7 + info.nenc;
}

function chunkNonce(base: Uint8Array, index: number): Uint8Array {
  const n = Uint8Array.from(base);
  let i = n.length - 1;
  for (let c = index; c > 0 && i >= 0; c = Math.floor(c / 256), i--) n[i]! ^= c % 256;
  return n;
}

/**
 * Starts a chunked response to the request of `context`: returns the response nonce to send first
 * and the sealer for the chunks.
 */
export async function encapsulateChunkedResponse(
  context: RequestContext,
  options: { label?: string; responseNonce?: Uint8Array } = {},
): Promise<{ header: Uint8Array; sealer: ChunkSealer }> {
  const n = _responseNonceLength(context);
  const responseNonce = options.responseNonce ? _checkBytes('responseNonce', options.responseNonce, n) : _randomBytes(n);
  const { key, nonce, aead } = await _responseKeys(context, options.label ?? CHUNKED_RESPONSE_LABEL, responseNonce);
  return { header: responseNonce, sealer: new Sealer((pt, aad, i) => aead.Seal(key, chunkNonce(nonce, i), aad, pt)) };
}

/**
 * Opens a chunked response: pass the first bytes (at least the response nonce); returns an opener
 * already fed with what followed and the chunks it completed.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED (nonce incomplete), ERR_CHANNEL_DECRYPT_FAILED
 */
export async function decapsulateChunkedResponse(
  context: RequestContext,
  first: Uint8Array,
  options: { label?: string; maxChunk?: number } = {},
): Promise<{ opener: ChunkOpener; chunks: Uint8Array[] }> {
  _checkBytes('first', first);
  const n = _responseNonceLength(context);
  if (first.length < n) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'chunked response nonce is truncated');
  const { key, nonce, aead } = await _responseKeys(context, options.label ?? CHUNKED_RESPONSE_LABEL, first.subarray(0, n));
  const opener = new Opener(options.maxChunk ?? DEFAULT_MAX_CHUNK, (ct, aad, i) => aead.Open(key, chunkNonce(nonce, i), aad, ct));
  return { opener, chunks: await opener.push(first.subarray(n)) };
}
