/**
 * The gateway: serves the (signed) key configuration and turns encapsulated requests into calls of
 * an application handler, framework-agnostic. `@nqc/channel/node` adapts it to `node:http`.
 * @module
 */
import type { Signer, VerifyingKey } from '@nqc/pql';
import { _concat, _utf8 } from './_bytes.js';
import { _created, _verifyRequest, AUTH_KEY_HEADER, AUTH_SIGNATURE_HEADER, type ClientKeyResolver } from './auth.js';
import { decodeRequest, encodeResponse, type BhttpRequest, type Fields } from './bhttp.js';
import { _CONTENT_PIECE, _contentChunk, _decodeIndeterminateRequest, _messageEnd, _responseHead } from './bhttp-stream.js';
import { CHUNKED_RESPONSE_MEDIA_TYPE, chunkedRequestHeaderLength, decapsulateChunkedRequest, encapsulateChunkedResponse } from './chunked.js';
import { CHALLENGE_HEADER, CHALLENGE_PATH, type ChallengeStore } from './challenge.js';
import { NqcChannelError } from './errors.js';
import { encodeKeyConfigs, type GatewayKey } from './key-config.js';
import { decapsulateRequest, encapsulateResponse, RESPONSE_MEDIA_TYPE, type RequestContext } from './ohttp.js';
import { StrikeRegister, type ReplayRegister } from './replay.js';
import { signKeyConfigs } from './signed-config.js';
import { _suiteName } from './suite.js';

/** Inner response header reporting the channel's state to the client. */
export const STATUS_HEADER = 'nqc-channel';

/**
 * Whether a route needs an authenticated client: `'require'`, `'optional'`, or `'challenge'` (an
 * authenticated client that also signed a fresh, single-use challenge from the gateway's
 * `challenges` store: a login).
 */
export type AuthPolicy = 'require' | 'optional' | 'challenge';

/** A decapsulated request, as an application handler sees it. */
export type ChannelRequest = {
  readonly method: string;
  /** Absolute URL of the target (`scheme://authority/path`). */
  readonly url: string;
  /** Header fields, lowercase names, in order (authentication fields removed). */
  readonly headers: Fields;
  readonly body: Uint8Array;
  /** The authenticated client, when the request carried a valid signature. */
  readonly client?: { readonly identity: string; readonly key: VerifyingKey };
  /** Channel facts: suite name (`0x647a-0x0001-0x0003`) and key configuration id. */
  readonly channel: { readonly suite: string; readonly keyConfigId: number };
};

/** What a handler returns. */
export type ChannelResponse = {
  readonly status: number;
  readonly headers?: Fields | Readonly<Record<string, string>>;
  /**
   * The content. An `AsyncIterable` streams when the request was chunked (each piece becomes one
   * sealed chunk, in constant memory); for a non-chunked request it is collected first, up to
   * `maxResponseLength`.
   */
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array>;
};

/** An application handler. */
export type ChannelHandler = (request: ChannelRequest) => ChannelResponse | Promise<ChannelResponse>;

/** The outer HTTP response the transport sends back. */
export type OuterResponse = { status: number; headers: Record<string, string>; body: Uint8Array };

/** The outer HTTP response of a chunked request: its body streams. */
export type StreamingOuterResponse = { status: number; headers: Record<string, string>; body: AsyncIterable<Uint8Array> };

/** Options of {@link Gateway}. */
export type GatewayOptions = {
  /** HPKE keys (their key ids must differ). */
  keys: readonly GatewayKey[];
  /** The server's identity key: signs the key configuration (required for nqc clients). */
  signingKey?: Signer;
  /** Validity of each signed configuration, seconds (default 7 days); re-signed after half of it. */
  validitySeconds?: number;
  /** Maps client keys to identities; without it no client can authenticate. */
  clients?: ClientKeyResolver;
  /** Authentication per request (default `'optional'`): a policy, or a function of method and path. */
  auth?: AuthPolicy | ((method: string, path: string) => AuthPolicy);
  /** Accepted clock difference, seconds (default 60): request times and replay window. */
  clockSkewSeconds?: number;
  /**
   * The replay register (default: a new in-process {@link StrikeRegister}); a shared
   * {@link ReplayRegister} for several gateway processes; or `false` to disable (tests only).
   */
  replay?: ReplayRegister | false;
  /** Longest encapsulated request accepted (default 1 MiB). */
  maxRequestLength?: number;
  /** Longest chunked request body accepted, plaintext bytes (default 64 MiB); checked as chunks arrive. */
  maxChunkedRequestLength?: number;
  /** Longest streamed handler body collected for a non-chunked response (default 16 MiB). */
  maxResponseLength?: number;
  /** Clock (default `() => new Date()`). */
  now?: () => Date;
  /** Challenges for `'challenge'` routes; with it the gateway answers `GET` {@link CHALLENGE_PATH} through the channel. */
  challenges?: ChallengeStore;
  /** Called with every refused request's error (for logs and metrics; never sent to the peer). */
  onError?: (error: unknown) => void;
};

const BAD_REQUEST = _utf8('bad request');
const TOO_LARGE = _utf8('content too large');

function outer(status: number, body: Uint8Array): OuterResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body };
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

// The handler's content as pieces of at most 16 KiB (one sealed chunk each).
async function* pieces(body: ChannelResponse['body']): AsyncGenerator<Uint8Array> {
  const split = function* (b: Uint8Array) {
    for (let o = 0; o < b.length; o += _CONTENT_PIECE) yield b.subarray(o, o + _CONTENT_PIECE);
  };
  if (body === undefined) return;
  if (typeof body === 'string' || body instanceof Uint8Array) return yield* split(typeof body === 'string' ? _utf8(body) : body);
  for await (const p of body) yield* split(p);
}
const PROBLEM_KEY = _utf8(JSON.stringify({ type: 'https://iana.org/assignments/http-problem-types#ohttp-key', title: 'key identifier unknown' }));

function plain(status: number, body: string): ChannelResponse {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body };
}

async function collect(body: ChannelResponse['body'], max: number): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0);
  if (typeof body === 'string') return _utf8(body);
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const p of body) {
    total += p.length;
    if (total > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `response body exceeds ${max} bytes`);
    parts.push(p);
  }
  return _concat(...parts);
}

function toFields(h: ChannelResponse['headers']): [string, string][] {
  if (h === undefined) return [];
  const list = Array.isArray(h) ? (h as Fields) : Object.entries(h as Record<string, string>);
  return list.map(([n, v]) => [n.toLowerCase(), v]);
}

/**
 * An Oblivious HTTP gateway for one origin.
 * @example
 * ```ts
 * const gateway = new Gateway({ keys: [await GatewayKey.generate()], signingKey: serverKey, clients: allowList({ alice: alicePub }) });
 * const outer = await gateway.handle(body, (req) => ({ status: 200, body: `hello ${req.client?.identity ?? 'stranger'}` }));
 * ```
 */
export class Gateway {
  readonly #o: GatewayOptions;
  readonly #replay: ReplayRegister | undefined;
  readonly #skew: number;
  #signed: { bytes: Uint8Array; renewAt: number } | undefined;

  /** @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (no keys, duplicate key ids) */
  constructor(options: GatewayOptions) {
    if (!options || !Array.isArray(options.keys) || options.keys.length === 0) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', '"keys" expected at least one GatewayKey');
    if (new Set(options.keys.map((k) => k.config.keyId)).size !== options.keys.length) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'gateway key ids must differ');
    this.#o = { ...options, keys: [...options.keys] };
    this.#replay = options.replay === false ? undefined : (options.replay ?? new StrikeRegister());
    this.#skew = options.clockSkewSeconds ?? 60;
    encodeKeyConfigs(this.#o.keys.map((k) => k.config));
  }

  /** The plain `application/ohttp-keys` document (RFC 9540). */
  keyConfigs(): Uint8Array {
    return encodeKeyConfigs(this.#o.keys.map((k) => k.config));
  }

  /**
   * The signed key configuration document (cached, re-signed after half its validity).
   * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT when the gateway has no signing key
   */
  signedKeyConfigs(): Uint8Array {
    const signer = this.#o.signingKey;
    if (!signer) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the gateway has no signing key');
    const now = this.#now();
    if (!this.#signed || now >= this.#signed.renewAt) {
      const validity = (this.#o.validitySeconds ?? 7 * 86400) * 1000;
      const notBefore = new Date(now - this.#skew * 1000);
      this.#signed = { bytes: signKeyConfigs(this.#o.keys.map((k) => k.config), signer, { notBefore, notAfter: new Date(now + validity) }), renewAt: now + validity / 2 };
    }
    return this.#signed.bytes;
  }

  #now(): number {
    return (this.#o.now?.() ?? new Date()).getTime();
  }

  /**
   * Handles one encapsulated request body: decapsulates, authenticates, checks replay, calls
   * `handler`, and encapsulates its response. Never throws for bad input: a request that cannot be
   * decapsulated gets an outer 400 (422 with the RFC 9458 problem type for an unknown key id); a
   * request that decapsulates but fails authentication gets an encapsulated 401.
   */
  async handle(body: Uint8Array, handler: ChannelHandler): Promise<OuterResponse> {
    let context: RequestContext;
    let message: Uint8Array;
    try {
      ({ context, message } = await decapsulateRequest(this.#o.keys, body, this.#o.maxRequestLength ?? 1 << 20));
    } catch (e) {
      return this.#outerError(e);
    }
    const run = await this.#run(message, context, handler);
    if (!run) return outer(400, BAD_REQUEST);
    let inner: Uint8Array;
    try {
      const content = await collect(run.res.body, this.#o.maxResponseLength ?? 16 << 20);
      inner = encodeResponse({ status: run.res.status, headers: run.headers, content });
    } catch (e) {
      this.#o.onError?.(e);
      inner = encodeResponse({ status: 500, headers: [[STATUS_HEADER, run.state]], content: _utf8('internal error') });
    }
    return {
      status: 200,
      headers: { 'content-type': RESPONSE_MEDIA_TYPE, 'cache-control': 'no-store' },
      body: await encapsulateResponse(context, inner),
    };
  }

  /**
   * Handles one chunked encapsulated request (`message/ohttp-chunked-req`,
   * draft-ietf-ohai-chunked-ohttp-08) read from `source`, and answers with a chunked response
   * (`message/ohttp-chunked-res`) whose body streams. Request chunks are opened as they arrive (at
   * most one sealed chunk is buffered) and the request body is capped by `maxChunkedRequestLength`
   * while it arrives; a request cut before its authenticated final chunk is refused with an outer
   * 400 before the handler runs. Other outer errors as {@link Gateway.handle}, plus 413 for a body
   * over the cap. A handler body that is an `AsyncIterable` is sealed piece by piece (constant
   * memory); if it throws, the stream ends without its final chunk, which the client detects.
   */
  async handleChunked(source: AsyncIterable<Uint8Array>, handler: ChannelHandler): Promise<StreamingOuterResponse> {
    let context: RequestContext;
    let req: BhttpRequest;
    try {
      ({ context, req } = await this.#openChunked(source));
    } catch (e) {
      const out = this.#outerError(e);
      return { ...out, body: once(out.body) };
    }
    const run = await this.#run(req, context, handler);
    if (!run) return { ...outer(400, BAD_REQUEST), body: once(BAD_REQUEST) };
    let head: Uint8Array;
    try {
      head = _responseHead(run.res.status, run.headers);
    } catch (e) {
      this.#o.onError?.(e);
      head = _responseHead(500, [[STATUS_HEADER, run.state]]);
    }
    const { header, sealer } = await encapsulateChunkedResponse(context);
    const content = run.res.body;
    const onError = this.#o.onError;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield header;
      yield await sealer.seal(head, false);
      try {
        for await (const piece of pieces(content)) yield await sealer.seal(_contentChunk(piece), false);
      } catch (e) {
        onError?.(e);
        throw e; // no final chunk: the client sees a truncated response
      }
      yield await sealer.seal(_messageEnd(), true);
    }
    return { status: 200, headers: { 'content-type': CHUNKED_RESPONSE_MEDIA_TYPE, 'cache-control': 'no-store' }, body: body() };
  }

  async #openChunked(source: AsyncIterable<Uint8Array>): Promise<{ context: RequestContext; req: BhttpRequest }> {
    const it = source[Symbol.asyncIterator]();
    try {
      return await this.#readChunked(it);
    } catch (e) {
      await it.return?.().catch(() => undefined); // stop reading the source
      throw e;
    }
  }

  async #readChunked(it: AsyncIterator<Uint8Array>): Promise<{ context: RequestContext; req: BhttpRequest }> {
    let first: Uint8Array = new Uint8Array(0);
    for (let need = 3; first.length < need; ) {
      const { done, value } = await it.next();
      if (done) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'chunked request header is truncated');
      first = _concat(first, value);
      if (first.length >= 3) need = chunkedRequestHeaderLength((first[1]! << 8) | first[2]!) ?? 3; // unknown KEM: refused below
    }
    const { context, opener, chunks } = await decapsulateChunkedRequest(this.#o.keys, first);
    const max = this.#o.maxChunkedRequestLength ?? 64 << 20;
    const parts: Uint8Array[] = [];
    let total = 0;
    const add = (list: Uint8Array[]) => {
      for (const c of list) {
        total += c.length;
        if (total > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `chunked request body exceeds ${max} bytes`);
        parts.push(c);
      }
    };
    add(chunks);
    for (;;) {
      const { done, value } = await it.next();
      if (done) break;
      add(await opener.push(value));
    }
    add([await opener.end()]); // throws when the final chunk is missing: truncation
    return { context, req: _decodeIndeterminateRequest(_concat(...parts)) };
  }

  #outerError(e: unknown): OuterResponse {
    this.#o.onError?.(e);
    const code = e instanceof NqcChannelError ? e.code : undefined;
    if (code === 'ERR_CHANNEL_UNKNOWN_KEY') return { status: 422, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' }, body: PROBLEM_KEY };
    if (code === 'ERR_CHANNEL_LIMIT') return outer(413, TOO_LARGE);
    return outer(400, BAD_REQUEST);
  }

  // Admits the request and calls the handler; undefined for a replay (an outer 400).
  async #run(message: Uint8Array | BhttpRequest, context: RequestContext, handler: ChannelHandler): Promise<{ res: ChannelResponse; headers: [string, string][]; state: string } | undefined> {
    let replayed = false;
    const res = await this.#inner(message, context, handler).catch((e: unknown) => {
      this.#o.onError?.(e);
      if (e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_REPLAY') replayed = true;
      if (e instanceof NqcChannelError && (e.code === 'ERR_CHANNEL_AUTH')) return { res: plain(401, 'authentication failed'), client: undefined };
      if (e instanceof NqcChannelError && (e.code === 'ERR_CHANNEL_MALFORMED' || e.code === 'ERR_CHANNEL_LIMIT')) return { res: plain(400, 'bad request'), client: undefined };
      return { res: plain(500, 'internal error'), client: undefined };
    });
    if (replayed) return undefined;
    const state = [`suite=${_suiteName(context.suite)}`, `key-config=${context.keyId}`, `client=${res.client?.key.keyId ?? 'none'}`].join('; ');
    const headers = toFields(res.res.headers).filter(([n]) => n !== STATUS_HEADER);
    headers.push([STATUS_HEADER, state]);
    return { res: res.res, headers, state };
  }

  // Decodes, checks time, authenticates, applies the policy and strikes the replay register.
  async #admit(message: Uint8Array | BhttpRequest, context: RequestContext): Promise<{ req: BhttpRequest; client: ChannelRequest['client'] }> {
    const req: BhttpRequest = message instanceof Uint8Array ? decodeRequest(message) : message;
    const now = this.#now();
    const created = _created(req, now, this.#skew);
    const client = await _verifyRequest(req, context, this.#o.clients);
    const auth = this.#o.auth ?? 'optional';
    const routePolicy = typeof auth === 'function' ? auth(req.method, req.path) : auth;
    // the challenge endpoint itself cannot need a challenge
    const policy = routePolicy === 'challenge' && this.#o.challenges && req.path === CHALLENGE_PATH ? 'require' : routePolicy;
    if (policy !== 'optional' && !client) throw new NqcChannelError('ERR_CHANNEL_AUTH', 'this route requires an authenticated client');
    if (policy === 'challenge') {
      const given = req.headers.filter(([n]) => n === CHALLENGE_HEADER);
      if (given.length !== 1 || !this.#o.challenges?.consume(given[0]![1])) throw new NqcChannelError('ERR_CHANNEL_AUTH', 'this route requires a fresh challenge');
    }
    // Entries live until the request time can no longer be accepted: a replay after that fails the time check.
    await this.#replay?.strike(context.enc, (created !== undefined ? created * 1000 : now) + this.#skew * 1000 + 1000, now);
    return { req, client };
  }

  #request(req: BhttpRequest, context: RequestContext, client: ChannelRequest['client']): ChannelRequest {
    return {
      method: req.method,
      url: `${req.scheme}://${req.authority}${req.path}`,
      headers: req.headers.filter(([n]) => n !== AUTH_KEY_HEADER && n !== AUTH_SIGNATURE_HEADER),
      body: req.content,
      ...(client ? { client } : {}),
      channel: { suite: _suiteName(context.suite), keyConfigId: context.keyId },
    };
  }

  async #inner(message: Uint8Array | BhttpRequest, context: RequestContext, handler: ChannelHandler): Promise<{ res: ChannelResponse; client: ChannelRequest['client'] }> {
    const { req, client } = await this.#admit(message, context);
    if (this.#o.challenges && req.method === 'GET' && req.path === CHALLENGE_PATH) {
      return { res: { status: 200, headers: [['content-type', 'text/plain'], ['cache-control', 'no-store']], body: this.#o.challenges.issue() }, client };
    }
    return { res: await handler(this.#request(req, context, client)), client };
  }

  /**
   * @internal The WebSocket handshake (see `socket.ts`): decapsulates under the WebSocket labels,
   * admits the request like {@link Gateway.handle}, and returns the encapsulated answer to send.
   * `request` is undefined when the handshake was refused (then close after sending `reply`).
   */
  async _openSocket(body: Uint8Array, labels: { request: string; response: string }): Promise<{ context?: RequestContext; request?: ChannelRequest; reply?: Uint8Array; status: number }> {
    let context: RequestContext;
    let message: Uint8Array;
    try {
      ({ context, message } = await decapsulateRequest(this.#o.keys, body, this.#o.maxRequestLength ?? 1 << 20, { label: labels.request }));
    } catch (e) {
      this.#o.onError?.(e);
      return { status: 400 };
    }
    let status = 200;
    let request: ChannelRequest | undefined;
    try {
      const { req, client } = await this.#admit(message, context);
      request = this.#request(req, context, client);
    } catch (e) {
      this.#o.onError?.(e);
      if (e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_REPLAY') return { status: 400 };
      status = e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_AUTH' ? 401 : 400;
    }
    const state = [`suite=${_suiteName(context.suite)}`, `key-config=${context.keyId}`, `client=${request?.client?.key.keyId ?? 'none'}`].join('; ');
    const inner = encodeResponse({ status, headers: [[STATUS_HEADER, state]], content: new Uint8Array(0) });
    const reply = await encapsulateResponse(context, inner, { label: labels.response });
    return request ? { context, request, reply, status } : { reply, status };
  }
}
