/**
 * The client side of chunked OHTTP (draft-ietf-ohai-chunked-ohttp-08) for {@link ChannelClient}:
 * a request sealed in chunks of 16 KiB, and a response opened as it streams in, whose body errors
 * with ERR_CHANNEL_DECRYPT_FAILED when the authenticated final chunk never arrives (truncation).
 * Browser-safe.
 * @module
 */
import { _concat } from './_bytes.js';
import { _signRequest } from './auth.js';
import type { BhttpRequest } from './bhttp.js';
import { _CONTENT_PIECE, _encodeIndeterminateRequest, _ResponseParser } from './bhttp-stream.js';
import { decapsulateChunkedResponse, encapsulateChunkedRequest } from './chunked.js';
import { NqcChannelError } from './errors.js';
import type { KeyConfig } from './key-config.js';
import { _responseNonceLength, type RequestContext } from './ohttp.js';
import type { Signer } from '@nqc/pql';

/** @internal Signs (with `signer`) and seals `req` as a chunked request: the parts of the outer body, in order. */
export async function _sealChunked(config: KeyConfig, req: BhttpRequest, signer: Signer | undefined): Promise<{ parts: Uint8Array[]; context: RequestContext }> {
  const { header, context, sealer } = await encapsulateChunkedRequest(config);
  const message = _encodeIndeterminateRequest(signer ? await _signRequest(req, context, signer) : req);
  const parts = [header];
  for (let o = 0; o < message.length; o += _CONTENT_PIECE) parts.push(await sealer.seal(message.subarray(o, o + _CONTENT_PIECE), false));
  parts.push(await sealer.seal(new Uint8Array(0), true));
  return { parts, context };
}

/**
 * @internal Opens a chunked outer response: reads until the inner status and headers are known and
 * returns a `Response` whose body decrypts the rest as it is read (at most `max` outer bytes).
 * @throws {NqcChannelError} ERR_CHANNEL_DECRYPT_FAILED, ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export async function _openChunked(context: RequestContext, outer: Response, max: number, noBody: (status: number) => boolean): Promise<Response> {
  if (!outer.body) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'chunked response has no body');
  const reader = outer.body.getReader();
  let total = 0;
  const read = async (): Promise<Uint8Array | undefined> => {
    const r = await reader.read();
    if (r.done) return undefined;
    total += r.value.length;
    if (total > max) {
      await reader.cancel();
      throw new NqcChannelError('ERR_CHANNEL_LIMIT', `response exceeds ${max} bytes`);
    }
    return r.value;
  };
  const n = _responseNonceLength(context);
  let first: Uint8Array = new Uint8Array(0);
  while (first.length < n) {
    const b = await read();
    if (!b) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'chunked response nonce is truncated');
    first = _concat(first, b);
  }
  const { opener, chunks } = await decapsulateChunkedResponse(context, first);
  const parser = new _ResponseParser();
  let head: { status: number; headers: readonly (readonly [string, string])[] } | undefined;
  const pending: Uint8Array[] = [];
  let finished = false;
  const feed = (list: Uint8Array[]) => {
    for (const c of list) {
      const ev = parser.push(c);
      if (ev.head) head = ev.head;
      pending.push(...ev.content);
    }
  };
  const step = async () => {
    const b = await read();
    if (b) return feed(await opener.push(b));
    feed([await opener.end()]); // throws when the final chunk is missing: truncation
    parser.end();
    finished = true;
  };
  feed(chunks);
  while (!head) await step();
  const init = { status: head.status, headers: head.headers as [string, string][] };
  if (noBody(head.status)) {
    while (!finished) await step(); // still check the end
    return new Response(null, init);
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (pending.length === 0 && !finished) await step();
        const next = pending.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      } catch (e) {
        controller.error(e);
        await reader.cancel().catch(() => undefined);
      }
    },
    cancel: () => reader.cancel(),
  });
  return new Response(body, init);
}
