/**
 * `node:http` / Connect-style integration: serves the key configuration and the gateway at
 * `/.well-known/ohttp-gateway` (RFC 9540) and passes every other request to `next` (or 404).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { _capped as capped } from './_capped.js';
import { CHUNKED_REQUEST_MEDIA_TYPE } from './chunked.js';
import { GATEWAY_PATH } from './client.js';
import { NqcChannelError } from './errors.js';
import type { ChannelHandler, Gateway, OuterResponse, StreamingOuterResponse } from './gateway.js';
import { REQUEST_MEDIA_TYPE } from './ohttp.js';
import { KEYS_MEDIA_TYPE, SIGNED_KEYS_MEDIA_TYPE } from './signed-config.js';

/** Options of {@link channelMiddleware}. */
export type MiddlewareOptions = {
  /** Longest request body read, bytes (default 1 MiB); longer bodies get 413 before being read. */
  maxBodyLength?: number;
  /**
   * Longest chunked request read (`message/ohttp-chunked-req`), outer bytes (default 64 MiB + 1 MiB
   * of chunk overhead); counted as the body streams in, never buffered whole. The gateway's
   * `maxChunkedRequestLength` caps the plaintext as well.
   */
  maxChunkedBodyLength?: number;
};

async function sendStream(res: ServerResponse, out: StreamingOuterResponse): Promise<void> {
  res.writeHead(out.status, out.headers);
  try {
    for await (const b of out.body) {
      if (res.destroyed) return;
      if (!res.write(b)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
    }
  } catch {
    // the handler's body failed mid-stream: end without the final chunk, which the client detects as truncation
  }
  res.end();
}

function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const len = Number(req.headers['content-length'] ?? NaN);
    if (len > max) return reject(new NqcChannelError('ERR_CHANNEL_LIMIT', `request body is ${len} bytes, limit ${max}`));
    const parts: Buffer[] = [];
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new NqcChannelError('ERR_CHANNEL_LIMIT', `request body exceeds ${max} bytes`));
      } else parts.push(c);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, out: OuterResponse, head = false): void {
  res.writeHead(out.status, { ...out.headers, 'content-length': String(out.body.length) });
  res.end(head ? undefined : out.body);
}

function text(status: number, body: string): OuterResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: new TextEncoder().encode(body) };
}

/**
 * A Connect-style middleware `(req, res, next)` for `node:http`. Inner (decapsulated) requests go to
 * `handler`; authentication per route is the gateway's `auth` option.
 * @example
 * ```ts
 * http.createServer(channelMiddleware(gateway, (req) => ({ status: 200, body: 'hi' }))).listen(8080, '127.0.0.1');
 * ```
 */
export function channelMiddleware(gateway: Gateway, handler: ChannelHandler, options: MiddlewareOptions = {}) {
  const max = options.maxBodyLength ?? 1 << 20;
  const chunkedMax = options.maxChunkedBodyLength ?? (64 << 20) + (1 << 20);
  return (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== GATEWAY_PATH) {
      if (next) return next();
      return send(res, text(404, 'not found'));
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const signed = (req.headers.accept ?? '').includes(SIGNED_KEYS_MEDIA_TYPE);
      let body: Uint8Array;
      try {
        body = signed ? gateway.signedKeyConfigs() : gateway.keyConfigs();
      } catch {
        return send(res, text(406, 'no signed key configuration'));
      }
      return send(res, { status: 200, headers: { 'content-type': signed ? SIGNED_KEYS_MEDIA_TYPE : KEYS_MEDIA_TYPE, 'cache-control': 'max-age=300' }, body }, req.method === 'HEAD');
    }
    if (req.method !== 'POST') return send(res, { ...text(405, 'method not allowed'), headers: { ...text(405, '').headers, allow: 'GET, HEAD, POST' } });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === CHUNKED_REQUEST_MEDIA_TYPE) {
      void gateway.handleChunked(capped(req, chunkedMax), handler).then((out) => {
        if (req.readableEnded) return sendStream(res, out);
        req.resume(); // refused before the body ended: drain what comes, and do not reuse the connection
        return sendStream(res, { ...out, headers: { ...out.headers, connection: 'close' } });
      }).catch(() => (res.headersSent ? res.destroy() : send(res, text(500, 'internal error'))));
      return;
    }
    if (type !== REQUEST_MEDIA_TYPE) return send(res, text(415, 'unsupported media type'));
    readBody(req, max)
      .then((body) => gateway.handle(body, handler))
      .then(
        (out) => send(res, out),
        (e: unknown) => send(res, e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_LIMIT' ? text(413, 'content too large') : text(400, 'bad request')),
      );
  };
}
