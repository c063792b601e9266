// Seeds, secrets, public keys and file keys given as Node Buffers (Buffer.prototype.slice is a VIEW):
// the library must keep real copies, so wiping an identity never touches the caller's buffer and a
// caller reusing its buffer changes nothing the library holds.
import { describe, expect, it } from '@jest/globals';
import { KemIdentity, KemRecipient, SigningKey, VerifyingKey, wrapToRecipients } from '../src/index.js';

const seedOf = (n: number, v: number): Buffer => Buffer.alloc(n, v);

describe.each([
  ['xwing', 32],
  ['mlkem1024', 64],
] as const)('%s with Buffer keys', (alg, seedLength) => {
  it('an identity from a Buffer seed ignores later changes to the Buffer, and wipe() leaves it alone', () => {
    const seed = seedOf(seedLength, 0x42);
    const id = KemIdentity.fromSeed(alg, seed);
    const reference = KemIdentity.fromSeed(alg, new Uint8Array(seedLength).fill(0x42));
    seed.fill(0);
    expect(id.toString()).toBe(reference.toString());
    const fileKey = Buffer.alloc(32, 7);
    const stanzas = wrapToRecipients(fileKey, [reference.recipient()]);
    fileKey.fill(0); // the caller reuses its file key buffer after wrapping
    expect(id.unwrapFileKey(stanzas)).toEqual(new Uint8Array(32).fill(7));
    const kept = seedOf(seedLength, 0x42);
    KemIdentity.fromSeed(alg, kept).wipe();
    expect(kept).toEqual(seedOf(seedLength, 0x42));
  });

  it('a recipient from a Buffer public key keeps its own copy', () => {
    const id = KemIdentity.fromSeed(alg, seedOf(seedLength, 0x24));
    const pk = Buffer.from(id.publicKey);
    const r = new KemRecipient(alg, pk);
    pk.fill(0);
    expect(id.unwrapFileKey(r.wrapFileKey(new Uint8Array(32).fill(9)))).toEqual(new Uint8Array(32).fill(9));
  });
});

describe('signing keys with Buffer seeds and public keys', () => {
  it('sign and verify are unaffected when the caller reuses its buffers; wipe() leaves them alone', () => {
    const seed = Buffer.alloc(32, 0x11);
    const sk = SigningKey.fromSeed('mldsa65', seed);
    const reference = SigningKey.fromSeed('mldsa65', new Uint8Array(32).fill(0x11));
    seed.fill(0);
    expect(sk.toString()).toBe(reference.toString());
    const pk = Buffer.from(reference.publicKey);
    const vk = new VerifyingKey('mldsa65', pk);
    pk.fill(0);
    const msg = new TextEncoder().encode('buffer keys');
    expect(vk.verify(sk.sign(msg), msg)).toBe(true);
    const kept = Buffer.alloc(32, 0x11);
    SigningKey.fromSeed('mldsa65', kept).wipe();
    expect(kept).toEqual(Buffer.alloc(32, 0x11));
  });
});
