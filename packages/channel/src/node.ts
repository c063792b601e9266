/**
 * `node:http` / Connect-style integration: serves the key configuration and the gateway at
 * `/.well-known/ohttp-gateway` (RFC 9540) and passes every other request to `next` (or 404).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GATEWAY_PATH } from './client.js';
import { NqcChannelError } from './errors.js';
import type { ChannelHandler, Gateway, OuterResponse } from './gateway.js';
import { REQUEST_MEDIA_TYPE } from './ohttp.js';
import { KEYS_MEDIA_TYPE, SIGNED_KEYS_MEDIA_TYPE } from './signed-config.js';

/** Options of {@link channelMiddleware}. */
export type MiddlewareOptions = {
  /** Longest request body read, bytes (default 1 MiB); longer bodies get 413 before being read. */
  maxBodyLength?: number;
};

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
    if ((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== REQUEST_MEDIA_TYPE) return send(res, text(415, 'unsupported media type'));
    readBody(req, max)
      .then((body) => gateway.handle(body, handler))
      .then(
        (out) => send(res, out),
        (e: unknown) => send(res, e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_LIMIT' ? text(413, 'content too large') : text(400, 'bad request')),
      );
  };
}
