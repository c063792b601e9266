// Fuzz: mutated envelopes and random bytes through the parser and the full decryptor. Only typed
// errors, bounded iterations, no hang (jest timeout), bounded memory (no forged length allocates).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decryptEnvelope, encryptEnvelope, NqcFormatError, parseHeader, armor, dearmor, type HeSection } from '../src/index.js';
import { nodeProvider } from '../src/node.js';
import { seeded, testSigner, testStanza, testUnwrap, testVerify } from './helpers.js';

async function corpus(): Promise<Uint8Array[]> {
  const fileKey = seeded('fuzz', 32);
  const he: HeSection = { metadata: Uint8Array.of(9), entries: [{ path: 'x', part: 0, scheme: 'ckks', paramsId: Uint8Array.of(), keyId: Uint8Array.of(1), layout: 'column', count: 1, ciphertext: seeded('ct', 40) }] };
  const base = { fileKey, stanzas: [{ type: 'xwing', args: ['k'], body: seeded('b', 50) }, testStanza(fileKey)], chunkSize: 64, provider: nodeProvider };
  return [
    await encryptEnvelope(seeded('a', 300), base),
    await encryptEnvelope(new Uint8Array(0), { ...base, he }),
    await encryptEnvelope(seeded('b', 70), { ...base, signer: testSigner(seeded('s', 32)), he }),
  ];
}

const mutation = (len: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat({ max: len - 1 }), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: len }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: len - 1 }), count: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat({ max: len - 4 }), value: fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 65536, 65537, 2 ** 26) }),
  );

type Mutation = fc.Arbitrary<ReturnType<typeof mutation> extends fc.Arbitrary<infer T> ? T : never> extends fc.Arbitrary<infer U> ? U : never;

function apply(env: Uint8Array, ms: Mutation[]): Uint8Array {
  let e = env.slice();
  for (const m of ms) {
    if (m.kind === 'set') e[Math.min(m.at, e.length - 1)] = m.value;
    else if (m.kind === 'insert') e = new Uint8Array([...e.subarray(0, m.at), ...m.bytes, ...e.subarray(m.at)]);
    else if (m.kind === 'delete') e = new Uint8Array([...e.subarray(0, m.at), ...e.subarray(m.at + m.count)]);
    else if (m.at + 4 <= e.length) new DataView(e.buffer).setUint32(m.at, m.value);
  }
  return e;
}

async function onlyTyped(fn: () => unknown): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (!(e instanceof NqcFormatError)) throw e;
    expect(e.code).toMatch(/^ERR_FORMAT_[A-Z_]+$/);
    return false;
  }
}

describe('fuzz', () => {
  it('mutated envelopes: parser and decryptor raise only NqcFormatError, in bounded memory', async () => {
    const envs = await corpus();
    const rss0 = process.memoryUsage().rss;
    for (const env of envs) {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation(env.length), { minLength: 1, maxLength: 4 }), async (ms) => {
          const e = apply(env, ms);
          await onlyTyped(() => parseHeader(e));
          const opened = await onlyTyped(() => decryptEnvelope(e, { unwrap: testUnwrap, verify: testVerify, provider: nodeProvider }));
          // A mutation that still opens must have been a no-op on the bytes.
          if (opened) expect(e).toEqual(env);
        }),
        { numRuns: 700 },
      );
    }
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 1024 * 1024);
  });

  it('random bytes and random armor-like text: only NqcFormatError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (b) => {
        const withMagic = new Uint8Array([0x6e, 0x71, 0x63, 0x2d, 0x65, 0x6e, 0x76, 1, ...b]);
        for (const x of [b, withMagic]) {
          await onlyTyped(() => parseHeader(x));
          expect(await onlyTyped(() => decryptEnvelope(x, { unwrap: testUnwrap }))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
    const a = armor(seeded('armored', 200));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: a.length - 1 }), fc.constantFrom('\n', ' ', '=', 'A', '-', '\r', '\u00e9'), async (at, ch) => {
        const m = a.slice(0, at) + ch + a.slice(at + 1);
        await onlyTyped(() => dearmor(m));
      }),
      { numRuns: 300 },
    );
  });

  it('forged huge lengths do not allocate: a 80 MiB header length on a 40-byte input', async () => {
    const e = new Uint8Array(40);
    e.set([0x6e, 0x71, 0x63, 0x2d, 0x65, 0x6e, 0x76, 1]);
    new DataView(e.buffer).setUint32(8, 80 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await expect(decryptEnvelope(e, { unwrap: testUnwrap })).rejects.toMatchObject({ code: 'ERR_FORMAT_TRUNCATED' });
    expect(() => parseHeader(e)).toThrow(expect.objectContaining({ code: 'ERR_FORMAT_TRUNCATED' }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});
