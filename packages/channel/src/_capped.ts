/**
 * @internal A `node:http` request body read as it arrives, capped; shared by the node:http
 * middleware and the fastify plugin.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { NqcChannelError } from './errors.js';

/** @internal The request body as it arrives, failing with ERR_CHANNEL_LIMIT past `max` bytes. */
export async function* _capped(req: IncomingMessage, max: number): AsyncGenerator<Uint8Array> {
  const len = Number(req.headers['content-length'] ?? NaN);
  if (len > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `request body is ${len} bytes, limit ${max}`);
  let total = 0;
  // destroyOnReturn: false: when the gateway stops reading early, the socket stays up for its answer
  for await (const c of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `request body exceeds ${max} bytes`);
    yield new Uint8Array(c.buffer, c.byteOffset, c.length);
  }
}
