// Known-answer tests: fixed seeds and fixed encapsulation randomness pin the exact stanza bytes, the
// key strings and key ids, so an accidental format change fails here. The stanza body is also
// recomputed independently from the noble primitives, following the README's format spec.
import { describe, expect, it } from '@jest/globals';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { getKem, KemIdentity, SigningKey } from '../src/index.js';
import { _wrap } from '../src/wrap.js';

const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const FILE_KEY = seq(32, 0xa0);
const sha = (b: Uint8Array | string) => bytesToHex(sha256(typeof b === 'string' ? new TextEncoder().encode(b) : b));

const VECTORS = {
  xwing: {
    seed: seq(32, 0),
    rand: seq(64, 0x40),
    noble: ml_kem768_x25519,
    keyId: '62fb62ba',
    recipientSha: '19ad93cb80bb58e5268dbab3b21d32443e05943e56c704378f10c193f18c33a5',
    identitySha: '565d5740246b4c1b2f9915dfa76acc10f5797ab96e40ea3dc9a6187fc5279ecd',
    bodySha: 'ebd18f9378defbb635843438a2724cc2a43605a8fbeaec2cf05040fe0469dee7',
    bodyTail: '84f48aab18beed41c6f30ebf9aac4e3318772b636c6e207176e353f0ed9f2fb3579c9f7183dcc3d01eafb11903bb9239',
  },
  mlkem1024: {
    seed: seq(64, 0),
    rand: seq(32, 0x40),
    noble: ml_kem1024,
    keyId: '6ab33d3a',
    recipientSha: '8bdb5d04073406642f807784b273def396ba5370727a37900c044cd9c778ec45',
    identitySha: '32247f14165aa797a6841dabd9bfb6db1576f065664fbf89fea15d58026c3a68',
    bodySha: '04098478c5f47d6966c0efc1c2dc6d83dfabfcc5470108fe7bd82074d1911738',
    bodyTail: '1b7c40ee4517b2dbbd684cdf953e086e6ad2586071fb068a6c6df727d004927692c6cd13e5c68da758bf766c52958f97',
  },
} as const;

describe.each(Object.entries(VECTORS))('%s known answers', (alg, v) => {
  const id = KemIdentity.fromSeed(alg, v.seed);
  const stanza = _wrap(getKem(alg), id.publicKey, FILE_KEY, id.keyId, v.rand);

  it('pins key id, key strings and stanza bytes', () => {
    const got = {
      keyId: id.keyId,
      recipientSha: sha(id.recipient().toString()),
      identitySha: sha(id.toString()),
      bodySha: sha(stanza.body),
      bodyTail: bytesToHex(stanza.body.subarray(-48)),
    };
    if (process.env.NQC_PQL_PRINT_KAT) console.log(alg, JSON.stringify(got, null, 2));
    expect(got).toEqual({ keyId: v.keyId, recipientSha: v.recipientSha, identitySha: v.identitySha, bodySha: v.bodySha, bodyTail: v.bodyTail });
    expect(stanza.type).toBe(alg);
    expect(stanza.args).toEqual([id.keyId]);
    expect(id.unwrapFileKey([stanza])).toEqual(FILE_KEY);
  });

  it('matches an independent computation from the noble primitives', () => {
    const { publicKey } = v.noble.keygen(v.seed);
    const { cipherText, sharedSecret } = v.noble.encapsulate(publicKey, v.rand);
    const salt = new Uint8Array([...cipherText, ...publicKey]);
    const key = hkdf(sha256, sharedSecret, salt, new TextEncoder().encode(`nqc/v1/pql/${alg}`), 32);
    const sealed = chacha20poly1305(key, new Uint8Array(12)).encrypt(FILE_KEY);
    expect(stanza.body).toEqual(new Uint8Array([...cipherText, ...sealed]));
    const kid = sha256(new Uint8Array([...new TextEncoder().encode(`nqc/v1/pql/key-id\0${alg}\0`), ...publicKey]));
    expect(id.keyId).toBe(bytesToHex(kid.subarray(0, 4)));
  });
});

describe('signature key known answers', () => {
  it.each([
    ['mldsa65', seq(32, 1), '8e177ecc498aeb3d4b468dc1caf858f6805e50f8d471c4fab621d1f3839463e4'],
    ['mldsa87', seq(32, 1), '4103957ce3569af753394991f7843e681e0daa39013fcb974f2ca00518feef9b'],
    ['slhdsa-sha2-128f', seq(48, 1), 'b129d4dd6b622d8f7743309fbeb99fd57fe01298b13d03d1cb6b61f08affed02'],
  ])('%s verifying key from a fixed seed', (alg, seed, pin) => {
    const k = SigningKey.fromSeed(alg, seed);
    const got = sha(k.verifyingKey().toString());
    if (process.env.NQC_PQL_PRINT_KAT) console.log(alg, got);
    expect(got).toBe(pin);
  });
});
