// The Node encrypt transform computes NDE ahead of the container: its envelopes must be byte for byte
// those of the sequential path (same seeded randomness), for every size around the group boundaries.
import { describe, it, expect, afterAll } from '@jest/globals';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encrypt as encryptBrowser, decrypt as decryptBrowser } from '../src/index.js';
import { closeNde, createEncryptTransform, encrypt } from '../src/node.js';
import { alice, hex, seeded } from './helpers.js';
import { withSeededRandom } from './vectors/generate.js';

afterAll(() => closeNde());

async function viaTransform(pt: Uint8Array, piece: number, nde: 'reference' | 'auto', chunkSize: number): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let o = 0; o < pt.length; o += piece) pieces.push(Buffer.from(pt.subarray(o, o + piece)));
  await pipeline(
    Readable.from(pieces),
    await createEncryptTransform({ recipients: alice.recipient(), nde, chunkSize }),
    new Writable({
      write(c: Buffer, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  return new Uint8Array(Buffer.concat(parts));
}

describe('NDE computed ahead (Node encrypt transform)', () => {
  it('same bytes as the sequential path around every group boundary (reference backend)', async () => {
    const C = 64;
    for (const n of [0, 1, C, C + 1, 64 * C - 1, 64 * C, 64 * C + 1, 128 * C, 200 * C + 5]) {
      for (const piece of [7, 1000, 1 << 16]) {
        const pt = seeded(`pf/${n}`, n);
        const a = await withSeededRandom(`pf/${n}/${piece}`, () => viaTransform(pt, piece, 'reference', C));
        const b = (await withSeededRandom(`pf/${n}/${piece}`, () => encryptBrowser(pt, { recipients: alice.recipient(), nde: 'reference', chunkSize: C }))) as Uint8Array;
        expect([n, piece, hex(a)]).toEqual([n, piece, hex(b)]);
        expect(hex((await decryptBrowser(a, { identities: alice, nde: 'reference' })).plaintext)).toBe(hex(pt));
      }
    }
  }, 120_000);

  it('same bytes with the automatic (ONNX) backend on 64 KiB chunks', async () => {
    const pt = seeded('pf/auto', (64 * 3 + 5) * 65536 + 123);
    const a = await withSeededRandom('pf/auto', () => viaTransform(pt, 1 << 20, 'auto', 65536));
    const b = (await withSeededRandom('pf/auto', () => encrypt(pt, { recipients: alice.recipient(), nde: 'auto' }))) as Uint8Array;
    expect(a.length).toBe(b.length);
    expect(hex(a.subarray(0, 4096))).toBe(hex(b.subarray(0, 4096)));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  }, 120_000);
});
