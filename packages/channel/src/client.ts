/**
 * A `fetch`-like client: fetches the gateway's signed key configuration, checks it against the
 * pinned server key, then sends each request encapsulated (and, with a signing key, authenticated).
 * Browser-safe: Uint8Array, WebCrypto randomness, the platform's `fetch` and `Response`.
 * @module
 */
import { parseVerifyingKey, type Signer, type Verifier } from '@nqc/pql';
import { _utf8 } from './_bytes.js';
import { _signRequest, CREATED_HEADER } from './auth.js';
import { decodeResponse, encodeRequest, type BhttpRequest } from './bhttp.js';
import { CHALLENGE_HEADER, CHALLENGE_PATH } from './challenge.js';
import { CHUNKED_REQUEST_MEDIA_TYPE, CHUNKED_RESPONSE_MEDIA_TYPE } from './chunked.js';
import { _openChunked, _sealChunked } from './client-chunked.js';
import { NqcChannelError } from './errors.js';
import type { KeyConfig } from './key-config.js';
import { _setupRequest, decapsulateResponse, REQUEST_LABEL, REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE, selectSuite, type RequestContext } from './ohttp.js';
import type { SenderContext } from 'hpke';
import { SIGNED_KEYS_MEDIA_TYPE, verifyKeyConfigs, type SignedKeyConfigs } from './signed-config.js';
import { _kemInfo } from './suite.js';

/** Path of the gateway on an origin (RFC 9540): GET for keys, POST for requests. */
export const GATEWAY_PATH = '/.well-known/ohttp-gateway';

/** Options of {@link ChannelClient.connect}. */
export type ChannelClientOptions = {
  /** The pinned server identity key: a `nqc-pub-...` string or a `Verifier`. */
  serverKey: string | Verifier;
  /** The client's signing key; every request is then authenticated. */
  signingKey?: Signer;
  /** Transport (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Accept classical-only KEMs (X25519). Default false: post-quantum only. */
  allowClassical?: boolean;
  /** Clock (default `() => new Date()`). */
  now?: () => Date;
  /** Longest accepted outer response (default 16 MiB). */
  maxResponseLength?: number;
};

/** Request options of {@link ChannelClient.fetch}: a subset of `RequestInit`. */
export type ChannelRequestInit = {
  method?: string;
  headers?: Record<string, string> | [string, string][] | Headers;
  body?: Uint8Array | string;
  /**
   * Send as chunked OHTTP (`message/ohttp-chunked-req`, draft-ietf-ohai-chunked-ohttp-08) and read
   * a chunked response that streams. Default: chunked when the body is over
   * {@link CHUNKED_THRESHOLD} bytes.
   */
  chunked?: boolean;
};

/** Bodies longer than this (bytes) are sent as chunked OHTTP unless `chunked: false`. */
export const CHUNKED_THRESHOLD = 256 * 1024;

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (len > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `response is ${len} bytes, limit ${max}`);
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw new NqcChannelError('ERR_CHANNEL_LIMIT', `response exceeds ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A client of one gateway origin.
 * @example
 * ```ts
 * const client = await ChannelClient.connect('https://api.example', { serverKey: 'nqc-pub-mldsa65-1...', signingKey });
 * const res = await client.fetch('https://api.example/hello');
 * res.headers.get('nqc-channel'); // 'suite=0x647a-0x0001-0x0003; key-config=0; client=3f9a01bc'
 * ```
 */
export class ChannelClient {
  readonly #gateway: string;
  readonly #o: ChannelClientOptions;
  readonly #server: Verifier;
  #keys: SignedKeyConfigs | undefined;

  private constructor(gateway: string, options: ChannelClientOptions) {
    this.#gateway = gateway;
    this.#o = options;
    try {
      this.#server = typeof options.serverKey === 'string' ? parseVerifyingKey(options.serverKey) : options.serverKey;
    } catch (cause) {
      throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', '"serverKey" is not a verifying key string', { cause });
    }
  }

  /**
   * Connects to the gateway of `origin` (`origin` + {@link GATEWAY_PATH}) and verifies its signed key configuration.
   * @throws {NqcChannelError} ERR_CHANNEL_BAD_SIGNATURE, ERR_CHANNEL_EXPIRED, ERR_CHANNEL_UNKNOWN_KEY, ERR_CHANNEL_PROTOCOL, ...
   */
  static async connect(origin: string | URL, options: ChannelClientOptions): Promise<ChannelClient> {
    const client = new ChannelClient(new URL(GATEWAY_PATH, origin).href, options);
    await client.refresh();
    return client;
  }

  /** The verified key configuration in use. */
  get keys(): SignedKeyConfigs | undefined {
    return this.#keys;
  }

  /**
   * Fetches and verifies the signed key configuration again.
   * @throws {NqcChannelError} as {@link ChannelClient.connect}
   */
  async refresh(): Promise<void> {
    const f = this.#o.fetch ?? globalThis.fetch;
    const res = await f(this.#gateway, { headers: { accept: SIGNED_KEYS_MEDIA_TYPE } });
    if (res.status !== 200 || res.headers.get('content-type') !== SIGNED_KEYS_MEDIA_TYPE) {
      throw new NqcChannelError('ERR_CHANNEL_PROTOCOL', `gateway answered ${res.status} without a signed key configuration`);
    }
    const keys = verifyKeyConfigs(await readCapped(res, 64 * 1024), this.#server, { now: this.#now() });
    this.#config(keys); // throws when nothing usable
    this.#keys = keys;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  #config(keys: SignedKeyConfigs): KeyConfig {
    const c = keys.configs.find((k) => _kemInfo(k.kem)?.pq || this.#o.allowClassical === true);
    if (!c) throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', 'the gateway offers no post-quantum key configuration');
    return c;
  }

  /**
   * Sends one request through the channel and returns the decapsulated response. The response's
   * `nqc-channel` header carries the gateway's view (suite, key config id, authenticated key id).
   * When the gateway answers 422 (unknown key id: its keys rotated), the signed configuration is
   * fetched again and the request retried once.
   * @throws {NqcChannelError} ERR_CHANNEL_EXPIRED, ERR_CHANNEL_PROTOCOL, ERR_CHANNEL_DECRYPT_FAILED, ERR_CHANNEL_LIMIT, ERR_CHANNEL_MALFORMED
   */
  async fetch(input: string | URL, init: ChannelRequestInit = {}): Promise<Response> {
    const size = typeof init.body === 'string' ? _utf8(init.body).length : (init.body?.length ?? 0);
    const chunked = init.chunked ?? size > CHUNKED_THRESHOLD;
    const f = this.#o.fetch ?? globalThis.fetch;
    const send = async () => {
      if (!chunked) {
        const { body, context, method } = await this.#encapsulate(input, init, REQUEST_LABEL);
        return { outer: await f(this.#gateway, { method: 'POST', headers: { 'content-type': REQUEST_MEDIA_TYPE }, body }), context, method };
      }
      const { config, req } = await this.#prepare(input, init);
      const { parts, context } = await _sealChunked(config, req, this.#o.signingKey);
      const body = new Blob(parts as unknown as NonNullable<ConstructorParameters<typeof Blob>[0]>, { type: CHUNKED_REQUEST_MEDIA_TYPE });
      return { outer: await f(this.#gateway, { method: 'POST', headers: { 'content-type': CHUNKED_REQUEST_MEDIA_TYPE }, body }), context, method: req.method };
    };
    let { outer, context, method } = await send();
    if (outer.status === 422) {
      // RFC 9458 Section 5.3: the gateway no longer has that key (rotation). Fetch the signed
      // configuration again (verified under the pinned key as always) and retry once.
      await outer.body?.cancel();
      await this.refresh();
      ({ outer, context, method } = await send());
    }
    const type = chunked ? CHUNKED_RESPONSE_MEDIA_TYPE : RESPONSE_MEDIA_TYPE;
    if (outer.status !== 200 || outer.headers.get('content-type') !== type) {
      await outer.body?.cancel();
      if (outer.status === 413) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'the gateway refused the request as too large (413)');
      throw new NqcChannelError('ERR_CHANNEL_PROTOCOL', `gateway answered ${outer.status} instead of an encapsulated response`);
    }
    const max = this.#o.maxResponseLength ?? 16 << 20;
    const noBody = (status: number) => status === 204 || status === 205 || status === 304 || method === 'HEAD';
    if (chunked) return _openChunked(context, outer, max, noBody);
    const inner = decodeResponse(await decapsulateResponse(context, await readCapped(outer, max), max));
    return new Response(noBody(inner.status) ? null : inner.content, { status: inner.status, headers: inner.headers as [string, string][] });
  }

  /**
   * Challenge-response login: fetches a fresh challenge from the gateway (through the channel,
   * `GET` {@link CHALLENGE_PATH}), then sends the request with it in the signed `nqc-challenge`
   * header. For routes whose gateway policy is `'challenge'`; needs a signing key.
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (no signing key), ERR_CHANNEL_PROTOCOL (no challenge issued), and as {@link ChannelClient.fetch}
   */
  async login(input: string | URL, init: ChannelRequestInit = {}): Promise<Response> {
    if (!this.#o.signingKey) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'login needs a signing key');
    const res = await this.fetch(new URL(CHALLENGE_PATH, input), { chunked: false });
    const challenge = (await res.text()).trim();
    if (res.status !== 200 || !/^[A-Za-z0-9+/]{43}=$/.test(challenge)) throw new NqcChannelError('ERR_CHANNEL_PROTOCOL', `gateway issued no challenge (${res.status})`);
    const h = init.headers instanceof Headers ? [...init.headers.entries()] : Array.isArray(init.headers) ? init.headers : Object.entries(init.headers ?? {});
    const headers: [string, string][] = h.filter(([n]) => n.toLowerCase() !== CHALLENGE_HEADER);
    headers.push([CHALLENGE_HEADER, challenge]);
    return this.fetch(input, { ...init, headers });
  }

  /** @internal Encodes, authenticates and encapsulates one request under `label`. */
  async _encapsulate(input: string | URL, init: ChannelRequestInit, label: string): Promise<{ body: Uint8Array; context: RequestContext; method: string }> {
    return this.#encapsulate(input, init, label);
  }

  async #encapsulate(input: string | URL, init: ChannelRequestInit, label: string): Promise<{ body: Uint8Array; context: RequestContext; method: string }> {
    const prepared = await this.#prepare(input, init);
    const config = prepared.config;
    let req = prepared.req;
    const { hdr, context } = await _setupRequest(config, selectSuite(config), label);
    if (this.#o.signingKey) req = await _signRequest(req, context, this.#o.signingKey);
    const ct = await (context._hpke as SenderContext).Seal(encodeRequest(req));
    const body = new Uint8Array(hdr.length + ct.length);
    body.set(hdr);
    body.set(ct, hdr.length);
    return { body, context, method: req.method };
  }

  // The key configuration to use and the unsigned request (with nqc-created).
  async #prepare(input: string | URL, init: ChannelRequestInit): Promise<{ config: KeyConfig; req: BhttpRequest }> {
    if (!this.#keys || this.#now().getTime() >= this.#keys.notAfter.getTime()) await this.refresh();
    const config = this.#config(this.#keys!);
    const url = new URL(input);
    const headers: [string, string][] = [];
    const h = init.headers instanceof Headers ? [...init.headers.entries()] : Array.isArray(init.headers) ? init.headers : Object.entries(init.headers ?? {});
    for (const [n, v] of h) headers.push([n.toLowerCase(), v]);
    headers.push([CREATED_HEADER, String(Math.floor(this.#now().getTime() / 1000))]);
    const content = typeof init.body === 'string' ? _utf8(init.body) : (init.body ?? new Uint8Array(0));
    const req: BhttpRequest = { method: (init.method ?? 'GET').toUpperCase(), scheme: url.protocol.slice(0, -1), authority: url.host, path: url.pathname + url.search, headers, content };
    return { config, req };
  }
}
