// The "invisible salamander" attack on a non-key-committing AEAD (FORMAT.md section 2, key
// commitment): one AES-256-GCM chunk whose tag verifies under two payload keys, so a dishonest signer
// can sign once and ship two envelopes (differing only in stanzas and MAC) that open to two different
// plaintexts. Test-only code: GF(2^128) arithmetic of GCM (NIST SP 800-38D, bit 0 = most significant).
import { createCipheriv } from 'node:crypto';
import { deriveKeys, encryptEnvelope, chunkNonce, type Signer } from '../src/index.js';
import { testStanza } from './helpers.js';

const R = 0xe1n << 120n;
const MASK = (1n << 128n) - 1n;

function gmul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127; i >= 0; i--) {
    if ((x >> BigInt(i)) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z & MASK;
}

function ginv(a: bigint): bigint {
  // a^(2^128 - 2): the multiplicative inverse in GF(2^128)
  let result = 1n << 127n; // the field's 1 (bit 0 set in GCM's bit order)
  let base = a;
  let e = (1n << 128n) - 2n;
  while (e > 0n) {
    if (e & 1n) result = gmul(result, base);
    base = gmul(base, base);
    e >>= 1n;
  }
  return result;
}

const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const toBytes = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(32, '0'), 'hex'));
const aesBlock = (key: Uint8Array, block: Uint8Array) => {
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
};
const counterBlock = (nonce: Uint8Array, ctr: number) => {
  const b = new Uint8Array(16);
  b.set(nonce);
  new DataView(b.buffer).setUint32(12, ctr);
  return b;
};

/**
 * A 48-byte AES-256-GCM ciphertext and one tag valid under both keys (same nonce, no AAD): returns
 * the sealed bytes and the two plaintexts they open to.
 */
export function gcmCollision(key1: Uint8Array, key2: Uint8Array, nonce: Uint8Array, c1: Uint8Array, c2: Uint8Array) {
  const h1 = toBig(aesBlock(key1, new Uint8Array(16)));
  const h2 = toBig(aesBlock(key2, new Uint8Array(16)));
  const j1 = toBig(aesBlock(key1, counterBlock(nonce, 1)));
  const j2 = toBig(aesBlock(key2, counterBlock(nonce, 1)));
  const len = 384n; // u64(0) || u64(bit length of C)
  const pow = (h: bigint, n: number) => Array.from({ length: n - 1 }).reduce<bigint>((acc) => gmul(acc, h), h);
  const C1 = toBig(c1);
  const C2 = toBig(c2);
  // tag = C1 H^4 + C2 H^3 + C3 H^2 + L H + E(J0); solve tag1 = tag2 for C3.
  const rhs = gmul(C1, pow(h1, 4) ^ pow(h2, 4)) ^ gmul(C2, pow(h1, 3) ^ pow(h2, 3)) ^ gmul(len, h1 ^ h2) ^ j1 ^ j2;
  const C3 = gmul(rhs, ginv(pow(h1, 2) ^ pow(h2, 2)));
  const tag = toBytes(gmul(C1, pow(h1, 4)) ^ gmul(C2, pow(h1, 3)) ^ gmul(C3, pow(h1, 2)) ^ gmul(len, h1) ^ j1);
  const ct = new Uint8Array(48);
  ct.set(c1, 0);
  ct.set(c2, 16);
  ct.set(toBytes(C3), 32);
  const plain = (key: Uint8Array) => {
    const p = new Uint8Array(48);
    for (let b = 0; b < 3; b++) {
      const ks = aesBlock(key, counterBlock(nonce, b + 2));
      for (let i = 0; i < 16; i++) p[b * 16 + i] = ct[b * 16 + i]! ^ ks[i]!;
    }
    return p;
  };
  const sealed = new Uint8Array(64);
  sealed.set(ct);
  sealed.set(tag, 48);
  return { sealed, p1: plain(key1), p2: plain(key2) };
}

const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const cat = (...p: Uint8Array[]) => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};

/**
 * The attack: `honest` is a signed AES-256-GCM envelope for key1 whose single chunk also verifies
 * under key2's payload key; `evil` has the same signed header part, payload and signature, but a
 * stanza carrying key2 and a MAC under key2 (the generator's `buildHeader` / `splitHeader`).
 */
export async function twoFacedEnvelopes(
  key1: Uint8Array,
  key2: Uint8Array,
  salt: Uint8Array,
  signer: Signer,
  buildHeader: (sections: { type: number; body: Uint8Array }[], fileKey: Uint8Array, salt: Uint8Array) => Uint8Array,
  splitHeader: (env: Uint8Array) => { sections: { type: number; body: Uint8Array }[]; length: number },
) {
  const nonce = chunkNonce(0, true);
  const block = (s: string) => new TextEncoder().encode(s.padEnd(16, '.'));
  const { sealed, p1, p2 } = gcmCollision(deriveKeys(key1, salt).payload, deriveKeys(key2, salt).payload, nonce, block('pay Bob 10 EUR'), block('signed: Alice'));
  const honest = await encryptEnvelope(p1, { fileKey: key1, salt, stanzas: [testStanza(key1)], aead: 'aes-256-gcm', signer });
  const { sections, length } = splitHeader(honest);
  const enc = new TextEncoder();
  const type = 'test-filekey';
  const stanzas = cat(Uint8Array.of(1, type.length), enc.encode(type), Uint8Array.of(0), u32(32), key2);
  const evilHeader = buildHeader(
    sections.map((s) => (s.type === 0x8004 ? { type: s.type, body: stanzas } : s)),
    key2,
    salt,
  );
  const evil = cat(evilHeader, honest.subarray(length));
  return { honest, evil, p1, p2, sealed, headerLength: length };
}
