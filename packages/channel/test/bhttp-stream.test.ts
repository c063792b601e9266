// Property tests of the indeterminate-length binary HTTP codec used inside chunked OHTTP: requests
// round-trip; the response parser gives the same result for any split; on arbitrary bytes both
// throw only NqcChannelError.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NqcChannelError } from '../src/index.js';
import { _contentChunk, _decodeIndeterminateRequest, _encodeIndeterminateRequest, _messageEnd, _ResponseParser, _responseHead } from '../src/bhttp-stream.js';

const token = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const value = fc.string({ maxLength: 40 }).filter((v) => !/[\r\n\0]/.test(v));
const fields = fc.array(fc.tuple(token, value), { maxLength: 8 });

function onlyChannelErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof NqcChannelError)) throw e;
  }
}

describe('indeterminate-length binary HTTP (properties)', () => {
  it('requests round-trip (content over several 16 KiB pieces included)', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST'), fc.domain(), fc.webPath(), fields, fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(20_000).fill(9))), fields,
        (method, authority, path, headers, content, trailers) => {
          const req = { method, scheme: 'https', authority, path: path || '/', headers, content, trailers };
          expect(_decodeIndeterminateRequest(_encodeIndeterminateRequest(req))).toEqual(req);
        }),
      { numRuns: 60 },
    );
  });

  it('responses parse the same for any split into pieces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), fields, fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (status, headers, content, cuts) => {
          const bytes = Buffer.concat([_responseHead(status, headers), ...content.map(_contentChunk), _messageEnd()]);
          const p = new _ResponseParser();
          let head;
          const got: Uint8Array[] = [];
          for (let o = 0, i = 0; o < bytes.length; o += cuts[i++ % cuts.length]!) {
            const ev = p.push(new Uint8Array(bytes.subarray(o, o + cuts[i % cuts.length]!)));
            head ??= ev.head;
            got.push(...ev.content);
          }
          p.end();
          expect(head).toEqual({ status, headers });
          expect(Buffer.concat(got)).toEqual(Buffer.concat(content));
        }),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes: only NqcChannelError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        onlyChannelErrors(() => _decodeIndeterminateRequest(b));
        onlyChannelErrors(() => {
          const p = new _ResponseParser();
          p.push(b);
          p.end();
        });
        onlyChannelErrors(() => new _ResponseParser().push(Uint8Array.of(3, ...b)));
      }),
      { numRuns: 500 },
    );
  });
});
