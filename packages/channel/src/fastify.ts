/**
 * A fastify 5 plugin: serves the gateway at `/.well-known/ohttp-gateway` and replays each
 * decapsulated request into the same fastify instance with `inject`, so ordinary routes serve it.
 * Per-route policy lives in the route's `config.nqc`:
 *
 * - `'require'`: only through the channel, and only for an authenticated client (else 401);
 * - `'channel'`: only through the channel (anonymous clients allowed);
 * - absent: no constraint (the route also answers plain HTTP).
 *
 * Handlers read `request.nqc` (`{ client?, channel }`, or null for plain HTTP). The gateway takes
 * `message/ohttp-req` and chunked OHTTP (`message/ohttp-chunked-req`, read as it arrives, capped),
 * whose response streams back.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { _hex, _randomBytes } from './_bytes.js';
import { _capped } from './_capped.js';
import { CHUNKED_REQUEST_MEDIA_TYPE } from './chunked.js';
import { GATEWAY_PATH } from './client.js';
import type { ChannelHandler, ChannelRequest, Gateway } from './gateway.js';
import { REQUEST_MEDIA_TYPE } from './ohttp.js';
import { KEYS_MEDIA_TYPE, SIGNED_KEYS_MEDIA_TYPE } from './signed-config.js';

/** Route-level channel policy (`config: { nqc: 'require' }`). */
export type RoutePolicy = 'require' | 'channel';

/** What `request.nqc` holds for a request that came through the channel. */
export type ChannelInfo = Pick<ChannelRequest, 'client' | 'channel'>;

/** Options of {@link nqcChannel}. */
export type NqcChannelPluginOptions = {
  /** The gateway (its `auth` option should stay `'optional'`: routes decide). */
  gateway: Gateway;
  /** Longest encapsulated request body, bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Longest chunked request (`message/ohttp-chunked-req`), outer bytes (default 64 MiB + 1 MiB of
   * chunk overhead); counted as the body streams in, never buffered whole. The gateway's
   * `maxChunkedRequestLength` caps the plaintext as well.
   */
  maxChunkedBodyLength?: number;
};

declare module 'fastify' {
  interface FastifyRequest {
    /** Channel facts when the request came through `@nqc/channel`, else null. */
    nqc: ChannelInfo | null;
  }
  interface FastifyContextConfig {
    /** Channel policy of the route. */
    nqc?: RoutePolicy;
  }
}

// Marks an injected inner request; the value is a fresh random token, so a plain HTTP client cannot forge it.
const REF_HEADER = 'nqc-channel-ref';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * The plugin. Register it once at the root: `await app.register(nqcChannel, { gateway })`.
 * @example
 * ```ts
 * await app.register(nqcChannel, { gateway });
 * app.get('/me', { config: { nqc: 'require' } }, (req) => ({ user: req.nqc?.client?.identity }));
 * ```
 */
export const nqcChannel: FastifyPluginAsync<NqcChannelPluginOptions> = async (fastify: FastifyInstance, options) => {
  const { gateway } = options;
  const pending = new Map<string, ChannelInfo>();
  fastify.decorateRequest('nqc', null);

  fastify.addHook('onRequest', async (request, reply) => {
    const ref = request.headers[REF_HEADER];
    if (ref !== undefined) {
      const info = typeof ref === 'string' ? pending.get(ref) : undefined;
      if (!info) return reply.code(400).type('text/plain; charset=utf-8').send('bad request');
      pending.delete(ref as string);
      delete request.headers[REF_HEADER];
      request.nqc = info;
    }
    const policy = request.routeOptions.config.nqc;
    if (policy === undefined) return;
    if (!request.nqc || (policy === 'require' && !request.nqc.client)) {
      return reply.code(401).type('text/plain; charset=utf-8').send('authentication failed');
    }
  });

  fastify.addContentTypeParser(REQUEST_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: options.bodyLimit ?? 1 << 20 }, (_req, body, done) => done(null, body));

  fastify.get(GATEWAY_PATH, async (request, reply) => {
    const signed = (request.headers.accept ?? '').includes(SIGNED_KEYS_MEDIA_TYPE);
    try {
      const body = signed ? gateway.signedKeyConfigs() : gateway.keyConfigs();
      return reply.type(signed ? SIGNED_KEYS_MEDIA_TYPE : KEYS_MEDIA_TYPE).header('cache-control', 'max-age=300').send(Buffer.from(body));
    } catch {
      return reply.code(406).type('text/plain; charset=utf-8').send('no signed key configuration');
    }
  });

  // Chunked requests are not parsed: the gateway reads the raw stream as it arrives.
  fastify.addContentTypeParser(CHUNKED_REQUEST_MEDIA_TYPE, (_req, payload, done) => done(null, payload));
  const chunkedMax = options.maxChunkedBodyLength ?? (64 << 20) + (1 << 20);

  const handler: ChannelHandler = async (inner) => {
    const url = new URL(inner.url);
    if (url.pathname === GATEWAY_PATH) return { status: 404, body: 'not found' }; // no nesting
    const ref = _hex(_randomBytes(16));
    pending.set(ref, { ...(inner.client ? { client: inner.client } : {}), channel: inner.channel });
    const headers: Record<string, string> = {};
    for (const [n, v] of inner.headers) headers[n] = n in headers ? `${headers[n]}, ${v}` : v;
    headers.host = url.host;
    headers[REF_HEADER] = ref;
    try {
      const res = await fastify.inject({ method: inner.method as 'GET', url: url.pathname + url.search, headers, payload: Buffer.from(inner.body) });
      const fields: [string, string][] = [];
      for (const [n, v] of Object.entries(res.headers)) {
        if (HOP_BY_HOP.has(n) || v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) fields.push([n, String(x)]);
      }
      return { status: res.statusCode, headers: fields, body: new Uint8Array(res.rawPayload) };
    } finally {
      pending.delete(ref);
    }
  };

  fastify.post(GATEWAY_PATH, async (request, reply) => {
    if (request.body instanceof Readable) {
      const raw = request.body as IncomingMessage;
      const out = await gateway.handleChunked(_capped(raw, chunkedMax), handler);
      const headers: Record<string, string> = { ...out.headers };
      if (!raw.readableEnded) {
        raw.resume(); // refused before the body ended: drain what comes, and do not reuse the connection
        headers.connection = 'close';
      }
      // A handler body that fails mid-stream ends the response without its final chunk (the client sees truncation).
      return reply.code(out.status).headers(headers).send(Readable.from(out.body, { objectMode: false }));
    }
    if (!Buffer.isBuffer(request.body)) return reply.code(415).type('text/plain; charset=utf-8').send('unsupported media type');
    const out = await gateway.handle(new Uint8Array(request.body), handler);
    return reply.code(out.status).headers(out.headers).send(Buffer.from(out.body));
  });
};

// Registered at the root: skip fastify's encapsulation so the hook and decorator apply to every route
// (what the fastify-plugin helper does).
(nqcChannel as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
