// Property tests: binary HTTP round-trips; every parser, given arbitrary bytes, either returns or
// throws an NqcChannelError (never another exception, never a hang).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { generateSigningKey } from '@nqc/pql';
import {
  decapsulateRequest,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  GatewayKey,
  NqcChannelError,
  parseKeyConfigs,
  verifyKeyConfigs,
} from '../src/index.js';

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

describe('properties', () => {
  it('binary http requests and responses round-trip', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.constantFrom('https', 'http'), fc.domain(), fc.webPath(), fields, fc.uint8Array({ maxLength: 64 }), fields,
        (method, scheme, authority, path, headers, content, trailers) => {
          const req = { method, scheme, authority, path: path || '/', headers, content, trailers };
          expect(decodeRequest(encodeRequest(req))).toEqual(req);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), fields, fc.uint8Array({ maxLength: 64 }), (status, headers, content) => {
        const res = { status, headers, content, trailers: [] };
        expect(decodeResponse(encodeResponse(res))).toEqual(res);
      }),
      { numRuns: 200 },
    );
  });

  it('parsers throw only NqcChannelError on arbitrary bytes', async () => {
    const server = generateSigningKey().verifyingKey();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        onlyChannelErrors(() => decodeRequest(b));
        onlyChannelErrors(() => decodeResponse(b));
        onlyChannelErrors(() => parseKeyConfigs(b));
        onlyChannelErrors(() => verifyKeyConfigs(b, server));
      }),
      { numRuns: 500 },
    );
    const key = await GatewayKey.generate();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1200 }), fc.boolean(), async (b, withHeader) => {
        const input = withHeader ? Uint8Array.from([0, 0x64, 0x7a, 0, 1, 0, 3, ...b]) : b;
        await decapsulateRequest([key], input).then(
          () => {
            throw new Error('random bytes decapsulated');
          },
          (e: unknown) => expect(e).toBeInstanceOf(NqcChannelError),
        );
      }),
      { numRuns: 100 },
    );
  });
});
