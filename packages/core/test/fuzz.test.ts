// Random and mutated inputs to inspect / decrypt / extractHeFields: typed errors only, never a crash.
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { decrypt, encrypt, extractHeFields, inspect, isNqcError } from '../src/index.js';
import { alice, collect, signer, streamOf } from './helpers.js';

async function typedOrOk(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!isNqcError(e)) throw e;
  }
}

describe('fuzz', () => {
  it('random bytes and mutated envelopes give typed errors (inspect, decrypt, streams, HE extraction)', async () => {
    const env = await encrypt(new Uint8Array(300).fill(7), { recipients: alice.recipient(), signer, nde: 'off', chunkSize: 64 });
    const armored = await encrypt(new Uint8Array(50), { recipients: alice.recipient(), nde: 'off', armor: true });
    const mutate = fc.tuple(fc.constantFrom(env, new TextEncoder().encode(armored)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat());
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }).map((b) => [b] as const), mutate.map(([base, edits, cut]) => {
        const m = base.slice(0, base.length - (cut % 3 === 0 ? cut % base.length : 0));
        for (const [at, v] of edits) if (m.length) m[at % m.length] = v;
        return [m] as const;
      })), async ([bytes]) => {
        await typedOrOk(() => inspect(bytes));
        await typedOrOk(() => inspect(streamOf(bytes, 17)));
        await typedOrOk(() => extractHeFields(bytes, 'age'));
        await typedOrOk(() => decrypt(bytes, { identities: alice, nde: 'off' }));
        await typedOrOk(async () => {
          const d = decrypt(streamOf(bytes, 31), { identities: alice, nde: 'off' });
          await collect(d.stream);
          await d.done;
        });
      }),
      { numRuns: 150 },
    );
    expect(true).toBe(true);
  }, 120_000);
});
