// The Node encrypt transform computes NDE ahead of the container: its envelopes must be byte for byte
// those of the sequential path (same seeded randomness), for every size around the group boundaries.
import { describe, it, expect, afterAll } from '@jest/globals';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encrypt as encryptBrowser, decrypt as decryptBrowser } from '../src/index.js';
import { closeNde, createEncryptTransform, encrypt } from '../src/node.js';
import { alice, hex, seeded, utf8 } from './helpers.js';
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

async function viaDecryptTransform(env: Uint8Array, piece: number, nde: 'reference' | 'auto' | 'off', requireSigner?: unknown) {
  const { createDecryptTransform } = await import('../src/node.js');
  const d = createDecryptTransform({ identities: alice, nde, requireSigner: requireSigner as never, allowUnverifiedOutput: true });
  const parts: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let o = 0; o < env.length; o += piece) pieces.push(Buffer.from(env.subarray(o, o + piece)));
  try {
    await pipeline(
      Readable.from(pieces),
      d.transform,
      new Writable({
        write(c: Buffer, _e, cb) {
          parts.push(c);
          cb();
        },
      }),
    );
    await d.done;
    return { out: new Uint8Array(Buffer.concat(parts)), error: undefined as string | undefined, released: 0 };
  } catch (e) {
    return { out: undefined, error: (e as { code?: string }).code ?? String(e), released: Buffer.concat(parts).length };
  }
}

describe('NDE removed after the container (Node decrypt transform)', () => {
  it('round trips around every group boundary; envelopes without NDE pass through', async () => {
    const C = 64;
    for (const n of [0, 1, C, C + 1, 64 * C - 1, 64 * C, 64 * C + 1, 130 * C + 9]) {
      for (const nde of ['reference', 'off'] as const) {
        const pt = seeded(`pd/${n}`, n);
        const env = (await encryptBrowser(pt, { recipients: alice.recipient(), nde, chunkSize: C })) as Uint8Array;
        for (const piece of [13, 1 << 16]) {
          const r = await viaDecryptTransform(env, piece, nde === 'off' ? 'off' : 'reference');
          expect([n, nde, piece, r.error, r.out && hex(r.out)]).toEqual([n, nde, piece, undefined, hex(pt)]);
        }
      }
    }
  }, 120_000);

  it('keeps every check of the container: tampering, NDE off, bad signature (final chunk withheld)', async () => {
    const { signer } = await import('./helpers.js');
    const C = 64;
    const pt = seeded('pd/checks', 100 * C + 5);
    const env = (await encryptBrowser(pt, { recipients: alice.recipient(), nde: 'reference', chunkSize: C, signer })) as Uint8Array;
    expect((await viaDecryptTransform(env, 4096, 'reference', signer)).out?.length).toBe(pt.length);
    const bad = env.slice();
    bad[bad.length - 3313 + 50] ^= 1; // inside the ML-DSA-65 signature
    const r = await viaDecryptTransform(bad, 4096, 'reference', signer);
    expect(r.error).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    expect(r.released).toBeLessThan(pt.length); // the final chunk never came out
    const flip = env.slice();
    flip[flip.length - 3313 - 40] ^= 1; // inside the final chunk
    expect((await viaDecryptTransform(flip, 4096, 'reference', signer)).error).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect((await viaDecryptTransform(env, 4096, 'off')).error).toBe('ERR_FORMAT_INNER_LAYER');
  }, 120_000);
});

describe('@nqc/core/node bytes API goes through the pipelined transforms', () => {
  it('interoperates with the browser entry both ways, armored and signed', async () => {
    const { decrypt: decryptNode } = await import('../src/node.js');
    const { signer } = await import('./helpers.js');
    // The browser entry's sequential path, driven with the ONNX backend object (the reference backend
    // at ~1 MB/s would make this test slow; both backends agree byte for byte, tested elsewhere).
    const { createNde } = await import('@nqc/nde/node');
    const onnx = await createNde({ backend: 'auto', version: 2 });
    for (const n of [0, 1, 65536, 65536 * 70 + 3]) {
      const pt = seeded(`nb/${n}`, n);
      const a = await encrypt(pt, { recipients: alice.recipient(), signer, nde: 'auto' });
      const ra = await decryptBrowser(a, { identities: alice, requireSigner: signer, nde: onnx });
      expect([n, hex(ra.plaintext)]).toEqual([n, hex(pt)]);
      const b = (await encryptBrowser(pt, { recipients: alice.recipient(), signer, nde: onnx, armor: true })) as string;
      const rb = await decryptNode(b, { identities: alice, requireSigner: signer, nde: 'auto' });
      expect([n, hex(rb.plaintext), rb.signer?.keyId, rb.info.armored]).toEqual([n, hex(pt), signer.keyId, true]);
      const c = await withSeededRandom(`nb/${n}`, () => encrypt(pt, { recipients: alice.recipient(), nde: 'off', armor: true }));
      const c2 = await withSeededRandom(`nb/${n}`, () => encryptBrowser(pt, { recipients: alice.recipient(), nde: 'off', armor: true }));
      expect(c).toBe(c2);
      const rc = await decryptNode(utf8(c), { identities: alice, nde: 'off' });
      expect(rc.plaintext.length).toBe(n);
    }
    await onnx.close();
  }, 120_000);
});
