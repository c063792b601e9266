// Generator of the end-to-end vector corpus of @nqc/core (real X-Wing / ML-KEM-1024 stanzas, ML-DSA-65
// signatures, the NDE layer with the reference backend, HE fields from @nqc/she). Every random byte
// (file keys, salts, KEM encapsulations, hedged signatures) comes from a seeded DRBG that replaces
// crypto.getRandomValues while a case is built, so re-running reproduces the files exactly. The
// exception is SEAL's own randomness (HE ciphertexts): cases with HE fields are marked
// `deterministic: false` and are only checked by opening them.
//
// NDE versions: the cases from before NDE v2 are v1 envelopes and stay so (`ndeVersion: 1`, so they
// regenerate byte for byte and prove that v1 still decrypts); the `*_nde_v2*` cases are v2 envelopes
// (the default). The v2 cases exist only once @nqc/nde pins the v2 model id (NDE_MODELS[2].idHex is
// not the all-zero placeholder): the id is in every v2 header.
//
// Regenerate: NQC_WRITE_VECTORS=1 pnpm test vectors
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { deriveKeys, encryptEnvelope, parseHeader, type Stanza } from '@nqc/container';
import { NDE_MODELS } from '@nqc/nde';
import { getSignature, wrapToRecipients } from '@nqc/pql';
import { encryptAny } from '../../src/envelope.js';
import { browserPlatform } from '../../src/nde.js';
import {
  encrypt,
  encryptDataset,
  encryptRecord,
  rotateDataKey,
  updateRecipients,
} from '../../src/index.js';
import type { HeClient } from '@nqc/she';
import { alice, bob, carol, mallory, seeded, signer, utf8 } from '../helpers.js';

/** One case of the corpus, as listed in vectors.json. */
export interface CoreVector {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** `ok` or the error code `decrypt` (or `decryptRecord`) must raise. */
  readonly expect: string;
  /** Which committed identity opens it: `alice`, `bob` or `carol`. */
  readonly identity: 'alice' | 'bob' | 'carol';
  /** Require this signer (`signer` or `mallory`, see identities.txt). */
  readonly requireSigner?: 'signer' | undefined;
  /** `bytes` (decrypt), `record` or `dataset` (decryptRecord / decryptDataset). */
  readonly kind: 'bytes' | 'record' | 'dataset';
  /** Expected plaintext for good cases: hex (small) or SHA-256 (large). */
  readonly plaintextHex?: string | undefined;
  readonly plaintextSha256?: string | undefined;
  /** Expected signer key id for good signed cases. */
  readonly signerKeyId?: string | undefined;
  /** True when regenerating reproduces the bytes exactly (no SEAL randomness involved). */
  readonly deterministic: boolean;
  /** Good cases: the NDE version the header names (`inspect(...).nde.version`), `null` for NDE off. */
  readonly ndeVersion?: 1 | 2 | null | undefined;
  readonly bytes: Uint8Array;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Whether @nqc/nde has pinned the v2 model id (until then it is 64 zeros and no v2 case is made). */
export const NDE_V2_ID_PINNED = !/^0+$/.test(NDE_MODELS[2].idHex);

/** Runs `fn` with crypto.getRandomValues replaced by a SHA-256 counter DRBG seeded from `label`. */
export async function withSeededRandom<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const key = sha256(utf8(`nqc/core/vectors/drbg/${label}`));
  let counter = 0;
  let pool = new Uint8Array(0);
  const next = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (pool.length === 0) {
        const block = new Uint8Array(key.length + 4);
        block.set(key);
        new DataView(block.buffer).setUint32(key.length, counter++);
        pool = sha256(block);
      }
      const k = Math.min(pool.length, n - o);
      out.set(pool.subarray(0, k), o);
      pool = pool.subarray(k);
      o += k;
    }
    return out;
  };
  const c = globalThis.crypto as typeof globalThis.crypto & { getRandomValues: unknown };
  Object.defineProperty(c, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <A extends ArrayBufferView | null>(a: A): A => {
      if (a) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(next(a.byteLength));
      return a;
    },
  });
  try {
    return await fn();
  } finally {
    delete (c as { getRandomValues?: unknown }).getRandomValues;
  }
}

// --- header surgery (generator only: trusts its input) ---------------------------------------------

interface Section {
  type: number;
  body: Uint8Array;
}

function split(env: Uint8Array): { sections: Section[]; mac: Uint8Array; rest: Uint8Array } {
  const dv = new DataView(env.buffer, env.byteOffset, env.byteLength);
  const length = dv.getUint32(8);
  const sections: Section[] = [];
  for (let p = 12; p < length - 32; ) {
    const type = dv.getUint16(p);
    const len = dv.getUint32(p + 2);
    sections.push({ type, body: env.slice(p + 6, p + 6 + len) });
    p += 6 + len;
  }
  return { sections, mac: env.slice(length - 32, length), rest: env.slice(length) };
}

/** Re-encodes a header from sections, keeping `mac` as is (so only a key holder could notice). */
function join(prelude: Uint8Array, sections: Section[], mac: Uint8Array, rest: Uint8Array): Uint8Array {
  const len = 12 + sections.reduce((n, s) => n + 6 + s.body.length, 0) + 32;
  const out = new Uint8Array(len + rest.length);
  out.set(prelude.subarray(0, 8));
  const dv = new DataView(out.buffer);
  dv.setUint32(8, len);
  let p = 12;
  for (const s of sections) {
    dv.setUint16(p, s.type);
    dv.setUint32(p + 2, s.body.length);
    out.set(s.body, p + 6);
    p += 6 + s.body.length;
  }
  out.set(mac, p);
  out.set(rest, len);
  return out;
}

const HE_SECTION = 0x8003;
const STANZAS_SECTION = 0x8004;

function bin(x: Uint8Array | string): Uint8Array {
  if (typeof x !== 'string') return x;
  throw new Error('generator: expected a binary envelope');
}

/**
 * Builds the corpus. `he` is the owner's HE client for the committed HE key set; without it the HE
 * cases are skipped (used to check the deterministic cases without loading SEAL).
 */
export async function generateCorpus(he?: HeClient): Promise<CoreVector[]> {
  const out: CoreVector[] = [];
  // Good cases name the NDE version inspect must report: 1 unless said otherwise (every case made
  // before NDE v2 is a v1 envelope).
  const add = (v: Omit<CoreVector, 'file' | 'deterministic'> & { deterministic?: boolean }, armored = false) =>
    out.push({ deterministic: true, ...(v.expect === 'ok' ? { ndeVersion: 1 as const } : {}), ...v, file: `${v.name}.nqc${armored ? '.asc' : ''}` });
  const text = utf8('The quick brown fox jumps over the lazy dog.\n');
  const many = seeded('nqc/core/vectors/many', 1000);
  const plain = (p: Uint8Array) => (p.length <= 4096 ? { plaintextHex: hex(p) } : { plaintextSha256: hex(sha256(p)) });
  const R = (label: string, f: () => Promise<Uint8Array | string>) => withSeededRandom(label, f);

  // ---- good ----------------------------------------------------------------------------------------
  const xw = bin(await R('good_xwing', () => encrypt(text, { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1 })));
  add({ name: 'good_xwing', description: 'one X-Wing recipient, NDE (reference backend), ChaCha20-Poly1305', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: xw, ...plain(text) });

  const ml = bin(await R('good_mlkem1024', () => encrypt(text, { recipients: bob.recipient().toString(), nde: 'reference', ndeVersion: 1 })));
  add({ name: 'good_mlkem1024', description: 'one ML-KEM-1024 recipient (given as key string), NDE on', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: ml, ...plain(text) });

  const mixed = bin(await R('good_mixed_recipients', () => encrypt(text, { recipients: [alice.recipient(), bob.recipient(), carol.recipient()], nde: 'reference', ndeVersion: 1 })));
  add({ name: 'good_mixed_recipients', description: 'three recipients (X-Wing, ML-KEM-1024, X-Wing), opened by the second', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: mixed, ...plain(text) });

  const anon = bin(await R('good_anonymous_stanza', () => encrypt(text, { recipients: [carol.recipient({ hint: false }), alice.recipient({ hint: false })], nde: 'reference', ndeVersion: 1 })));
  add({ name: 'good_anonymous_stanza', description: 'stanzas without key-id hints: every identity tries every stanza of its type', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: anon, ...plain(text) });

  const empty = bin(await R('good_empty', () => encrypt(new Uint8Array(0), { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1 })));
  add({ name: 'good_empty', description: 'empty plaintext: one empty final chunk', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: empty, plaintextHex: '' });

  const one = many.subarray(0, 64);
  const exact = bin(await R('good_one_full_chunk', () => encrypt(one, { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1, chunkSize: 64 })));
  add({ name: 'good_one_full_chunk', description: 'exactly one full 64-byte chunk (final and full)', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: exact, ...plain(one) });

  const plus1 = many.subarray(0, 65);
  const cp1 = bin(await R('good_chunk_plus_one', () => encrypt(plus1, { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1, chunkSize: 64 })));
  add({ name: 'good_chunk_plus_one', description: 'one full chunk and a 1-byte final chunk', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: cp1, ...plain(plus1) });

  const multi = bin(await R('good_multi_chunk', () => encrypt(many, { recipients: bob.recipient(), nde: 'reference', ndeVersion: 1, chunkSize: 64 })));
  add({ name: 'good_multi_chunk', description: '1000 bytes in 64-byte chunks (16 chunks), NDE on', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: multi, ...plain(many) });

  const off = bin(await R('good_nde_off', () => encrypt(many, { recipients: alice.recipient(), nde: 'off', chunkSize: 128 })));
  add({ name: 'good_nde_off', description: 'NDE layer off (no inner layer in the suite)', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: off, ndeVersion: null, ...plain(many) });

  const gcm = bin(await R('good_aes_gcm', () => encrypt(many, { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1, aead: 'aes-256-gcm', chunkSize: 256 })));
  add({ name: 'good_aes_gcm', description: 'AES-256-GCM payload, NDE on', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: gcm, ...plain(many) });

  const arm = (await R('good_armored', () => encrypt(text, { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1, armor: true }))) as string;
  add({ name: 'good_armored', description: 'ASCII-armored envelope', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: utf8(arm), ...plain(text) }, true);

  const armCrlf = arm.replace(/\n/g, '\r\n');
  add({ name: 'good_armored_crlf', description: 'armor with CRLF line endings (tolerated)', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: utf8(`\r\n${armCrlf}`), ...plain(text) }, true);

  const signed = bin(await R('good_signed', () => encrypt(many, { recipients: [alice.recipient(), bob.recipient()], signer, nde: 'reference', ndeVersion: 1, chunkSize: 256 })));
  add({ name: 'good_signed', description: 'ML-DSA-65 signed, signer required', expect: 'ok', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: signed, signerKeyId: signer.keyId, ...plain(many) });
  add({ name: 'good_signed_not_required', description: 'same file opened without requiring a signer: signature still verified and reported', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: signed, signerKeyId: signer.keyId, ...plain(many) });

  const signedArm = (await R('good_signed_armored', () => encrypt(text, { recipients: bob.recipient(), signer: signer.toString(), nde: 'reference', ndeVersion: 1, armor: true }))) as string;
  add({ name: 'good_signed_armored', description: 'signed (signer given as key string) and armored', expect: 'ok', identity: 'bob', requireSigner: 'signer', kind: 'bytes', bytes: utf8(signedArm), signerKeyId: signer.keyId, ...plain(text) }, true);

  const updated = bin(await R('good_updated_recipients', () => updateRecipients(signed, { identities: alice, recipients: [carol.recipient()] })));
  add({ name: 'good_updated_recipients', description: 'updateRecipients(good_signed) -> carol only: payload and signature unchanged, still verifies', expect: 'ok', identity: 'carol', requireSigner: 'signer', kind: 'bytes', bytes: updated, signerKeyId: signer.keyId, ...plain(many) });

  const rotated = bin(await R('good_rotated', () => rotateDataKey(signed, { identities: alice, recipients: [carol.recipient()], signer, ndeVersion: 1 })));
  add({ name: 'good_rotated', description: 'rotateDataKey(good_signed) -> carol, re-signed: new file key, salt and payload', expect: 'ok', identity: 'carol', requireSigner: 'signer', kind: 'bytes', bytes: rotated, signerKeyId: signer.keyId, ...plain(many) });

  // ---- good, NDE v2 (the default) -------------------------------------------------------------------
  // v2 steps are 512 bytes: one chunk of exactly one step, chunks of two steps and a final chunk of one
  // full step plus a partial one, the empty plaintext, and the v1 plaintext `text` (good_xwing) again.
  if (NDE_V2_ID_PINNED) {
    const v2 = { ndeVersion: 2 as const };
    const v2text = bin(await R('good_nde_v2', () => encrypt(text, { recipients: alice.recipient(), nde: 'reference' })));
    add({ name: 'good_nde_v2', description: 'NDE v2 by default (no ndeVersion given), same plaintext as good_xwing (v1)', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: v2text, ...v2, ...plain(text) });

    const v2empty = bin(await R('good_nde_v2_empty', () => encrypt(new Uint8Array(0), { recipients: alice.recipient(), nde: 'reference', ndeVersion: 2 })));
    add({ name: 'good_nde_v2_empty', description: 'NDE v2, empty plaintext: one empty final chunk', expect: 'ok', identity: 'alice', kind: 'bytes', bytes: v2empty, ...v2, plaintextHex: '' });

    const step = seeded('nqc/core/vectors/v2-step', 512);
    const v2step = bin(await R('good_nde_v2_one_step', () => encrypt(step, { recipients: bob.recipient(), nde: 'reference', ndeVersion: 2, chunkSize: 512 })));
    add({ name: 'good_nde_v2_one_step', description: 'NDE v2, 512 bytes in one 512-byte chunk: exactly one v2 step', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: v2step, ...v2, ...plain(step) });

    const steps = seeded('nqc/core/vectors/v2-steps', 3000);
    const v2steps = bin(await R('good_nde_v2_steps', () => encrypt(steps, { recipients: [alice.recipient(), bob.recipient()], nde: 'reference', ndeVersion: 2, chunkSize: 1024 })));
    add({ name: 'good_nde_v2_steps', description: 'NDE v2, 3000 bytes in 1024-byte chunks: two chunks of two steps, a final chunk of one step and 440 bytes', expect: 'ok', identity: 'bob', kind: 'bytes', bytes: v2steps, ...v2, ...plain(steps) });

    const v2signed = bin(await R('good_nde_v2_signed_gcm', () => encrypt(many, { recipients: alice.recipient(), signer, nde: 'reference', ndeVersion: 2, aead: 'aes-256-gcm', chunkSize: 256 })));
    add({ name: 'good_nde_v2_signed_gcm', description: 'NDE v2 under AES-256-GCM in 256-byte chunks (shorter than one step), ML-DSA-65 signed', expect: 'ok', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: v2signed, signerKeyId: signer.keyId, ...v2, ...plain(many) });

    const v2arm = (await R('good_nde_v2_armored', () => encrypt(text, { recipients: carol.recipient(), nde: 'reference', ndeVersion: 2, armor: true }))) as string;
    add({ name: 'good_nde_v2_armored', description: 'NDE v2, ASCII-armored', expect: 'ok', identity: 'carol', kind: 'bytes', bytes: utf8(v2arm), ...v2, ...plain(text) }, true);

    const upgraded = bin(await R('good_nde_v2_rotated_from_v1', () => rotateDataKey(signed, { identities: alice, recipients: [bob.recipient()], signer })));
    add({ name: 'good_nde_v2_rotated_from_v1', description: 'rotateDataKey(good_signed, a v1 envelope) with defaults: the new envelope is NDE v2, re-signed', expect: 'ok', identity: 'bob', requireSigner: 'signer', kind: 'bytes', bytes: upgraded, signerKeyId: signer.keyId, ...v2, ...plain(many) });

    const v2flip = v2steps.slice();
    v2flip[v2flip.length - 300] ^= 0x01;
    add({ name: 'fail_nde_v2_payload_bit_flip', description: 'one payload bit of good_nde_v2_steps flipped: the AEAD rejects it', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'bob', kind: 'bytes', bytes: v2flip });
  }

  // ---- fail ----------------------------------------------------------------------------------------
  add({ name: 'fail_wrong_identity', description: 'no stanza for this identity', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'carol', kind: 'bytes', bytes: xw });
  add({ name: 'fail_removed_recipient', description: 'after updateRecipients to carol, alice (removed) has no stanza in the new envelope', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'alice', kind: 'bytes', bytes: updated });
  add({ name: 'fail_rotated_old_identity', description: 'after rotateDataKey to carol, alice opens nothing', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'alice', kind: 'bytes', bytes: rotated });
  add({ name: 'fail_signature_required', description: 'unsigned envelope, signer required', expect: 'ERR_FORMAT_SIGNATURE_REQUIRED', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: xw });

  const trailerSig = signed.slice();
  {
    const trailer = 4 + getSignature('mldsa65').maxSignatureLength; // u32 length + signature (+ padding)
    trailerSig[trailerSig.length - trailer + 10] ^= 0x01; // a byte of the signature itself
  }
  add({ name: 'fail_bad_signature', description: 'one bit of the ML-DSA-65 signature flipped (header and payload intact)', expect: 'ERR_FORMAT_SIGNATURE_INVALID', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: trailerSig });

  const byMallory = bin(await R('fail_untrusted_signer', () => encrypt(text, { recipients: alice.recipient(), signer: mallory, nde: 'reference', ndeVersion: 1 })));
  add({ name: 'fail_untrusted_signer', description: 'validly signed, but by a key that is not the required signer', expect: 'ERR_CORE_SIGNER_UNTRUSTED', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: byMallory });

  {
    // Another model id with a VALID MAC: made with the container directly and a stand-in inner layer.
    const other = await R('fail_nde_model_mismatch', async () => {
      const fileKey = globalThis.crypto.getRandomValues(new Uint8Array(32));
      const stanzas: Stanza[] = wrapToRecipients(fileKey, [alice.recipient()]);
      const inner = {
        id: sha256(utf8('nqc/test/some-other-nde-model')),
        encryptChunks: async (_k: Uint8Array, _s: Uint8Array, items: { data: Uint8Array }[]) => items.map((i) => i.data.slice()),
        decryptChunks: async (_k: Uint8Array, _s: Uint8Array, items: { data: Uint8Array }[]) => items.map((i) => i.data.slice()),
      };
      return encryptEnvelope(text, { fileKey, stanzas, inner });
    });
    add({ name: 'fail_nde_model_mismatch', description: 'valid MAC, but the suite names another NDE model id: refused after authentication', expect: 'ERR_FORMAT_INNER_LAYER', identity: 'alice', kind: 'bytes', bytes: bin(other) });
  }

  const flipped = multi.slice();
  flipped[flipped.length - 200] ^= 0x80;
  add({ name: 'fail_payload_bit_flip', description: 'one payload bit flipped (NDE on): the AEAD rejects it', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'bob', kind: 'bytes', bytes: flipped });

  add({ name: 'fail_dropped_last_chunk', description: 'final chunk removed: the previous chunk was sealed as non-final', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'bob', kind: 'bytes', bytes: multi.slice(0, multi.length - (1000 % 64) - 16) });

  add({ name: 'fail_trailing_byte', description: 'one byte appended after the final chunk', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'bob', kind: 'bytes', bytes: Uint8Array.of(...multi, 0) });

  {
    const { sections, mac, rest } = split(xw);
    const st = sections.find((s) => s.type === STANZAS_SECTION)!;
    // stanzas body: count(1) | typeLen(1) | type | argc(1) | (u16 len | arg)* | u32 bodyLen | body
    const b = st.body;
    let p = 1;
    const typeLen = b[p]!;
    p += 1 + typeLen;
    const argc = b[p]!;
    p += 1;
    for (let i = 0; i < argc; i++) p += 2 + ((b[p]! << 8) | b[p + 1]!);
    const bodyLen = new DataView(b.buffer, b.byteOffset).getUint32(p);
    const nb = new Uint8Array(b.length - 1);
    nb.set(b.subarray(0, p));
    new DataView(nb.buffer).setUint32(p, bodyLen - 1);
    nb.set(b.subarray(p + 4, p + 4 + bodyLen - 1), p + 4);
    st.body = nb;
    add({ name: 'fail_stanza_body_length', description: 'X-Wing stanza body one byte short: refused before any decapsulation', expect: 'ERR_PQL_STANZA_MALFORMED', identity: 'alice', kind: 'bytes', bytes: join(xw, sections, mac, rest) });
  }

  {
    const lines = arm.trimEnd().split('\n');
    const broken = [...lines.slice(0, 2), lines[2]!.slice(0, 60), lines[2]!.slice(60) + lines[3]!, ...lines.slice(4)].join('\n') + '\n';
    add({ name: 'fail_armor_noncanonical', description: 'armor with a short line in the middle', expect: 'ERR_FORMAT_ARMOR', identity: 'alice', kind: 'bytes', bytes: utf8(broken) }, true);
  }

  {
    // Key commitment (FORMAT.md section 2): the signed suite commits to alice's file key K1; the
    // stanzas are replaced by a wrap of another key K2 and the MAC recomputed under K2 (what a
    // dishonest signer with a GCM/Poly1305 key collision would ship). The MAC verifies; the commitment does not.
    const forged = await R('fail_key_commitment_mismatch', async () => {
      const k2 = globalThis.crypto.getRandomValues(new Uint8Array(32));
      const { sections, rest } = split(xw);
      const stanzaBody = parseHeader(bin(await encryptEnvelope(new Uint8Array(0), { fileKey: k2, stanzas: wrapToRecipients(k2, [alice.recipient()]) }))).bytes;
      const st = split(stanzaBody).sections.find((x) => x.type === STANZAS_SECTION)!;
      const replaced = sections.map((x) => (x.type === STANZAS_SECTION ? st : x));
      const unmaced = join(xw, replaced, new Uint8Array(32), new Uint8Array(0));
      const mac = hmac(sha256, deriveKeys(k2, parseHeader(xw).suite.salt).header, unmaced.subarray(0, unmaced.length - 32));
      return join(xw, replaced, mac, rest);
    });
    add({ name: 'fail_key_commitment_mismatch', description: 'valid MAC under a second file key (re-wrapped stanzas), but the signed suite commits to the first key: refused', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'alice', kind: 'bytes', bytes: bin(forged) });
  }

  {
    // An ML-DSA-65 signature under pql's default context nqc/v1/sig (what an application signing
    // arbitrary 32-byte messages would return): envelopes verify under nqc/v1/envelope only.
    const oracle = { algorithm: signer.algorithm, publicKey: signer.publicKey, keyId: signer.keyId, sign: (m: Uint8Array) => signer.sign(m) };
    const byOracle = bin(await R('fail_signature_default_context', () => encrypt(text, { recipients: alice.recipient(), signer: oracle, nde: 'reference', ndeVersion: 1 })));
    add({ name: 'fail_signature_default_context', description: 'signed by the required key, but under the default signing context instead of nqc/v1/envelope', expect: 'ERR_FORMAT_SIGNATURE_INVALID', identity: 'alice', requireSigner: 'signer', kind: 'bytes', bytes: byOracle });
  }

  add({ name: 'fail_armor_leading_whitespace', description: '1025 bytes of whitespace before the armor BEGIN line (at most 1024)', expect: 'ERR_FORMAT_ARMOR', identity: 'alice', kind: 'bytes', bytes: utf8(' '.repeat(1025) + arm) }, true);

  add({ name: 'fail_truncated_header', description: 'envelope cut inside the header', expect: 'ERR_FORMAT_TRUNCATED', identity: 'alice', kind: 'bytes', bytes: xw.slice(0, 100) });

  // ---- HE (SEAL randomness: not byte-reproducible) -------------------------------------------------
  if (he) {
    const rec = { id: 'p-001', name: 'Ada', age: 36, balance: 1234.56, tags: ['a', 'b'] };
    const recEnv = bin(await encryptRecord(rec, { recipients: alice.recipient(), he, nde: 'reference', ndeVersion: 1, signer }));
    add({ name: 'good_record_he', description: 'JSON record, fields age and balance HE-encrypted (BFV, record layout), signed', expect: 'ok', identity: 'alice', requireSigner: 'signer', kind: 'record', bytes: recEnv, signerKeyId: signer.keyId, ...plain(utf8(JSON.stringify(rec))), deterministic: false });

    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, age: 20 + (i % 50), balance: i * 10.25 }));
    const dsEnv = bin(await encryptDataset(rows, { recipients: [bob.recipient()], he, nde: 'reference', ndeVersion: 1 }));
    add({ name: 'good_dataset_he', description: '50 records, fields column-packed (one BFV ciphertext per field)', expect: 'ok', identity: 'bob', kind: 'dataset', bytes: dsEnv, ...plain(utf8(JSON.stringify(rows))), deterministic: false });

    const rec2 = { ...rec, id: 'p-002', age: 99 };
    const recEnv2 = bin(await encryptRecord(rec2, { recipients: alice.recipient(), he, nde: 'reference', ndeVersion: 1 }));
    {
      const a = split(recEnv);
      const b = split(recEnv2);
      const heA = a.sections.find((s) => s.type === HE_SECTION)!;
      heA.body = b.sections.find((s) => s.type === HE_SECTION)!.body;
      add({ name: 'fail_he_field_swapped', description: "HE section replaced by another record's (same HE key): the header MAC catches it", expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'alice', kind: 'record', bytes: join(recEnv, a.sections, a.mac, a.rest), deterministic: false });
    }
    {
      const a = split(recEnv);
      add({ name: 'fail_he_field_dropped', description: 'HE section removed', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'alice', kind: 'record', bytes: join(recEnv, a.sections.filter((s) => s.type !== HE_SECTION), a.mac, a.rest), deterministic: false });
    }
    {
      const a = split(dsEnv);
      const heS = a.sections.find((s) => s.type === HE_SECTION)!;
      // Rename the path "age" to "agf" inside the entry (same length, order still valid): MAC fails.
      const body = heS.body.slice();
      const needle = utf8('age');
      for (let i = 0; i + 3 <= body.length; i++) {
        if (body[i] === needle[0] && body[i + 1] === needle[1] && body[i + 2] === needle[2] && body[i - 1] === 3 && body[i - 2] === 0) {
          body[i + 2] = 0x66; // 'f'
          break;
        }
      }
      heS.body = body;
      add({ name: 'fail_he_path_renamed', description: 'HE entry path "age" renamed to "agf"', expect: 'ERR_FORMAT_DECRYPT_FAILED', identity: 'bob', kind: 'dataset', bytes: join(dsEnv, a.sections, a.mac, a.rest), deterministic: false });
    }
    {
      // A sender (who holds the file key) binds HE fields that disagree with the payload: the MAC is
      // valid, but the owner's cross-check (decryptRecord with `he`) refuses it.
      const section = parseHeader(recEnv2).he!;
      const lie = bin(await (encryptAny(browserPlatform, utf8(JSON.stringify(rec)), { recipients: alice.recipient(), nde: 'reference', ndeVersion: 1 }, { he: section }) as Promise<Uint8Array | string>));
      add({ name: 'fail_he_payload_mismatch', description: 'valid MAC, but the HE fields (age 99) disagree with the JSON payload (age 36): refused by the owner cross-check', expect: 'ERR_CORE_HE_FIELD', identity: 'alice', kind: 'record', bytes: lie, deterministic: false });
    }
  }
  return out;
}
