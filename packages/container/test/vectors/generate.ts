// Deterministic generator of the vector corpus (FORMAT.md section 11). Every byte comes from fixed
// seeds, so re-running it reproduces the committed files exactly (a test checks that).
// Regenerate: NQC_WRITE_VECTORS=1 pnpm test vectors
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  armor,
  deriveKeys,
  encryptEnvelope,
  nobleProvider,
  rewriteHeader,
  SECTION,
  chunkNonce,
  type AeadName,
  type EncryptOptions,
  type HeSection,
  type Stanza,
} from '../../src/index.js';
import { seeded, testSigner, testStanza, xorInner } from '../helpers.js';
import { twoFacedEnvelopes } from '../two-faced.js';

export interface VectorCase {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** `ok` or the NqcFormatError code the reader must raise. */
  readonly expect: string;
  readonly fileKey: string;
  readonly plaintextSha256?: string;
  readonly plaintextHex?: string;
  readonly requireSignature?: boolean;
  readonly bytes: Uint8Array;
}

export const TEST_INNER_ID = seeded('nqc/test/inner-id', 32);
export const SIGNER_KEY = seeded('nqc/test/signer-key', 32);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const cat = (...p: Uint8Array[]) => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
const u16 = (n: number) => Uint8Array.of(n >> 8, n & 255);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);

interface RawSection {
  type: number;
  body: Uint8Array;
}

/** Splits a header into its sections (trusting it: generator input only). */
export function splitHeader(env: Uint8Array): { sections: RawSection[]; length: number } {
  const dv = new DataView(env.buffer, env.byteOffset);
  const length = dv.getUint32(8);
  const sections: RawSection[] = [];
  for (let p = 12; p < length - 32; ) {
    const type = dv.getUint16(p);
    const len = dv.getUint32(p + 2);
    sections.push({ type, body: env.slice(p + 6, p + 6 + len) });
    p += 6 + len;
  }
  return { sections, length };
}

/** Builds a header from raw sections with a valid MAC (so only the rule under test can reject it). */
export function buildHeader(sections: RawSection[], fileKey: Uint8Array, salt: Uint8Array, version = 1, lengthOverride?: number): Uint8Array {
  const body = cat(...sections.map((s) => cat(u16(s.type), u32(s.body.length), s.body)));
  const length = lengthOverride ?? 12 + body.length + 32;
  const unmaced = cat(new TextEncoder().encode('nqc-env'), Uint8Array.of(version), u32(length), body);
  return cat(unmaced, hmac(sha256, deriveKeys(fileKey, salt).header, unmaced));
}

function sealRaw(fileKey: Uint8Array, salt: Uint8Array, chunks: { data: Uint8Array; index: number; last: boolean }[], aead: AeadName = 'chacha20-poly1305'): Uint8Array {
  const a = nobleProvider.aead(aead, deriveKeys(fileKey, salt).payload);
  return cat(...chunks.map((c) => a.seal(chunkNonce(c.index, c.last), c.data)));
}

function stanzaSection(stanzas: { type: string; args: string[]; body: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  return cat(
    Uint8Array.of(stanzas.length),
    ...stanzas.map((s) => cat(Uint8Array.of(s.type.length), enc.encode(s.type), Uint8Array.of(s.args.length), ...s.args.map((a) => cat(u16(a.length), enc.encode(a))), u32(s.body.length), s.body)),
  );
}

function heSample(): HeSection {
  const ct = (l: string, n: number) => seeded(`he/${l}`, n);
  return {
    metadata: new TextEncoder().encode('{"v":1,"fields":["amount","fee"]}'),
    entries: [
      { path: 'amount', part: 0, scheme: 'bfv', paramsId: seeded('p', 8), keyId: seeded('kid', 16), layout: 'column', count: 4096, ciphertext: ct('amount0', 300) },
      { path: 'amount', part: 1, scheme: 'bfv', paramsId: seeded('p', 8), keyId: seeded('kid', 16), layout: 'column', count: 100, ciphertext: ct('amount1', 300) },
      { path: 'fee', part: 0, scheme: 'ckks', paramsId: seeded('p2', 8), keyId: seeded('kid', 16), layout: 'column', count: 4196, ciphertext: ct('fee0', 300) },
    ],
  };
}

/** Re-encodes an HE section body from entries in the given (possibly wrong) order, no checks. */
function rawHe(he: HeSection): Uint8Array {
  const enc = new TextEncoder();
  return cat(
    u32(he.metadata.length),
    he.metadata,
    u16(he.entries.length),
    ...he.entries.map((e) => {
      const p = enc.encode(e.path);
      return cat(u16(p.length), p, u32(e.part), Uint8Array.of(e.scheme.length), enc.encode(e.scheme), Uint8Array.of(e.paramsId.length), e.paramsId, Uint8Array.of(e.keyId.length), e.keyId, Uint8Array.of(e.layout.length), enc.encode(e.layout), u32(e.count), u32(e.ciphertext.length), e.ciphertext);
    }),
  );
}

/** Generates every case, in a fixed order. */
export async function generateVectors(): Promise<VectorCase[]> {
  const out: VectorCase[] = [];
  let n = 0;
  const fk = (label: string) => seeded(`nqc/test/filekey/${label}`, 32);
  const saltOf = (label: string) => seeded(`nqc/test/salt/${label}`, 32);

  const make = async (label: string, plaintext: Uint8Array, extra: Partial<EncryptOptions> = {}) => {
    const fileKey = fk(label);
    const salt = saltOf(label);
    const env = await encryptEnvelope(plaintext, { fileKey, salt, stanzas: [testStanza(fileKey)], chunkSize: 64, ...extra });
    return { fileKey, salt, env, plaintext };
  };
  const add = (name: string, description: string, expect: string, fileKey: Uint8Array, bytes: Uint8Array, plaintext?: Uint8Array, more: Partial<VectorCase> = {}) => {
    const ext = name.includes('armor') ? '.nqc.asc' : '.nqc';
    out.push({
      name,
      file: `${String(n++).padStart(3, '0')}_${name}${ext}`,
      description,
      expect,
      fileKey: hex(fileKey),
      ...(plaintext ? (plaintext.length <= 256 ? { plaintextHex: hex(plaintext) } : { plaintextSha256: hex(sha256(plaintext)) }) : {}),
      ...more,
      bytes,
    });
  };

  // ---- good ------------------------------------------------------------------------------------
  const base = await make('base', seeded('pt/base', 64 * 3 + 17));
  add('good_many_chunks', 'four chunks of a 64-byte chunk size, last one partial', 'ok', base.fileKey, base.env, base.plaintext);
  const empty = await make('empty', new Uint8Array(0));
  add('good_empty', 'empty payload: one empty final chunk', 'ok', empty.fileKey, empty.env, empty.plaintext);
  const one = await make('one', Uint8Array.of(0x2a));
  add('good_one_byte', 'one byte', 'ok', one.fileKey, one.env, one.plaintext);
  const exact = await make('exact', seeded('pt/exact', 64));
  add('good_one_full_chunk', 'exactly one full chunk, which is final', 'ok', exact.fileKey, exact.env, exact.plaintext);
  const plus1 = await make('plus1', seeded('pt/plus1', 65));
  add('good_chunk_plus_one', 'a full chunk then a 1-byte final chunk', 'ok', plus1.fileKey, plus1.env, plus1.plaintext);
  const lastFull = await make('lastfull', seeded('pt/lastfull', 64 * 3));
  add('good_last_full', 'three full chunks, the third final', 'ok', lastFull.fileKey, lastFull.env, lastFull.plaintext);
  const gcm = await make('gcm', seeded('pt/gcm', 200), { aead: 'aes-256-gcm' });
  add('good_aes_256_gcm', 'AES-256-GCM suite', 'ok', gcm.fileKey, gcm.env, gcm.plaintext);
  const def = await make('default', seeded('pt/default', 65536 + 100), { chunkSize: 65536 });
  add('good_default_chunk_size', '64 KiB chunks, two chunks', 'ok', def.fileKey, def.env, def.plaintext);
  {
    const fileKey = fk('multi');
    const stanzas: Stanza[] = [
      { type: 'xwing', args: ['a2V5aWQ='], body: seeded('xw', 1168) },
      { type: 'mlkem1024', args: ['aint', 'b:c.d_e-f/g+h='], body: seeded('mk', 1616) },
      testStanza(fileKey),
    ];
    const r = await make('multi', seeded('pt/multi', 100), { stanzas });
    add('good_multiple_stanzas', 'unknown stanza types are carried and skipped by unwrap', 'ok', r.fileKey, r.env, r.plaintext);
  }
  {
    const fileKey = fk('max');
    const stanzas: Stanza[] = Array.from({ length: 63 }, (_, i) => ({ type: 'other', args: [String(i)], body: seeded(`o${i}`, 8) }));
    stanzas.push(testStanza(fileKey));
    const r = await make('max', seeded('pt/max', 10), { stanzas });
    add('good_64_stanzas', 'the maximum of 64 stanzas', 'ok', r.fileKey, r.env, r.plaintext);
  }
  const signed = await make('signed', seeded('pt/signed', 150), { signer: testSigner(SIGNER_KEY) });
  add('good_signed', 'signed (test-hmac-sha256, 32-byte signature in a 44-byte trailer)', 'ok', signed.fileKey, signed.env, signed.plaintext, { requireSignature: true });
  const signedEmpty = await make('signedempty', new Uint8Array(0), { signer: testSigner(SIGNER_KEY, 32) });
  add('good_signed_empty', 'signed empty payload, trailer without padding', 'ok', signedEmpty.fileKey, signedEmpty.env, signedEmpty.plaintext, { requireSignature: true });
  const he = await make('he', seeded('pt/he', 90), { he: heSample() });
  add('good_he_section', 'HE section with three entries (two parts of one path)', 'ok', he.fileKey, he.env, he.plaintext);
  const heSigned = await make('hesigned', seeded('pt/hesigned', 90), { he: heSample(), signer: testSigner(SIGNER_KEY) });
  add('good_he_signed', 'HE section and signature', 'ok', heSigned.fileKey, heSigned.env, heSigned.plaintext, { requireSignature: true });
  const inner = await make('inner', seeded('pt/inner', 64 * 20 + 3), { inner: xorInner(TEST_INNER_ID) });
  add('good_inner_layer', 'inner layer test-xor-sha256 over 21 chunks (two batches)', 'ok', inner.fileKey, inner.env, inner.plaintext);
  add('good_armor', 'armored good_many_chunks', 'ok', base.fileKey, new TextEncoder().encode(armor(base.env)), base.plaintext);
  add('good_armor_crlf', 'armor with CRLF line endings', 'ok', base.fileKey, new TextEncoder().encode(armor(base.env).replaceAll('\n', '\r\n')), base.plaintext);
  add('good_armor_whitespace', 'armor surrounded by whitespace', 'ok', base.fileKey, new TextEncoder().encode(`\n \t\n${armor(base.env)}\n  \n`), base.plaintext);
  {
    const { sections, length } = splitHeader(base.env);
    const h = buildHeader([{ type: 0x0042, body: seeded('ext', 5) }, ...sections], base.fileKey, base.salt);
    add('good_unknown_noncritical_section', 'a non-critical section 0x0042 is skipped (but MACed)', 'ok', base.fileKey, cat(h, base.env.subarray(length)), base.plaintext);
  }
  {
    const nk = fk('rewrap-unused');
    const { header, oldLength } = rewriteHeader(heSigned.env, heSigned.fileKey, [{ type: 'other', args: [], body: nk }, testStanza(heSigned.fileKey)]);
    add('good_rewrapped_signed', 'header rewritten with new stanzas: payload and signature untouched', 'ok', heSigned.fileKey, cat(header, heSigned.env.subarray(oldLength)), heSigned.plaintext, { requireSignature: true });
  }

  // ---- fail: prelude and header structure -------------------------------------------------------
  const { sections: bs, length: bl } = splitHeader(base.env);
  const basePayload = base.env.subarray(bl);
  const withSections = (s: RawSection[], opts: { version?: number; length?: number } = {}) => cat(buildHeader(s, base.fileKey, base.salt, opts.version, opts.length), basePayload);
  const suiteBody = bs.find((s) => s.type === SECTION.suite)!.body;
  const stanzaBody = bs.find((s) => s.type === SECTION.stanzas)!.body;
  const suite = (mut: (b: Uint8Array) => Uint8Array) => ({ type: SECTION.suite, body: mut(suiteBody.slice()) });
  const stz = { type: SECTION.stanzas, body: stanzaBody };
  const F = (name: string, description: string, code: string, bytes: Uint8Array, fileKey = base.fileKey, more: Partial<VectorCase> = {}) => add(name, description, code, fileKey, bytes, undefined, more);

  F('fail_bad_magic', 'first byte changed', 'ERR_FORMAT_MAGIC', cat(Uint8Array.of(0x4e), base.env.subarray(1)));
  F('fail_random_bytes', 'not an envelope', 'ERR_FORMAT_MAGIC', seeded('random', 500));
  F('fail_empty_file', 'zero bytes', 'ERR_FORMAT_TRUNCATED', new Uint8Array(0));
  F('fail_version_2', 'version byte 2 (otherwise valid, MAC included)', 'ERR_FORMAT_VERSION', withSections(bs, { version: 2 }));
  F('fail_version_0', 'version byte 0', 'ERR_FORMAT_VERSION', withSections(bs, { version: 0 }));
  F('fail_header_length_oversized', 'header length 0xffffffff', 'ERR_FORMAT_LIMIT', withSections(bs, { length: 0xffffffff }));
  F('fail_header_length_too_small', 'header length 20', 'ERR_FORMAT_LIMIT', withSections(bs, { length: 20 }));
  F('fail_header_truncated', 'envelope cut inside the header', 'ERR_FORMAT_TRUNCATED', base.env.subarray(0, bl - 10));
  F('fail_prelude_truncated', 'envelope cut inside the prelude', 'ERR_FORMAT_TRUNCATED', base.env.subarray(0, 10));
  F('fail_unknown_critical_section', 'critical section 0x8005 with a valid MAC', 'ERR_FORMAT_UNKNOWN_SECTION', withSections([...bs, { type: 0x8005, body: seeded('crit', 4) }]));
  F('fail_section_type_zero', 'reserved section type 0', 'ERR_FORMAT_UNKNOWN_SECTION', withSections([{ type: 0, body: new Uint8Array(0) }, ...bs]));
  F('fail_section_order', 'stanzas section before suite', 'ERR_FORMAT_SECTION_ORDER', withSections([stz, bs[0]!]));
  F('fail_duplicate_section', 'suite section twice', 'ERR_FORMAT_SECTION_ORDER', withSections([bs[0]!, bs[0]!, stz]));
  F('fail_missing_suite', 'no suite section', 'ERR_FORMAT_MISSING_SECTION', withSections([stz]));
  F('fail_missing_stanzas', 'no stanzas section', 'ERR_FORMAT_MISSING_SECTION', withSections([bs[0]!]));
  F('fail_unknown_aead', 'AEAD code 3', 'ERR_FORMAT_SUITE', withSections([suite((b) => ((b[0] = 3), b)), stz]));
  F('fail_chunk_size_too_small', 'chunk size 2^5', 'ERR_FORMAT_SUITE', withSections([suite((b) => ((b[1] = 5), b)), stz]));
  F('fail_chunk_size_too_large', 'chunk size 2^25', 'ERR_FORMAT_SUITE', withSections([suite((b) => ((b[1] = 25), b)), stz]));
  F('fail_unknown_inner_kind', 'inner layer kind 2', 'ERR_FORMAT_SUITE', withSections([suite((b) => ((b[2] = 2), b)), stz]));
  F('fail_suite_trailing_byte', 'suite section one byte too long', 'ERR_FORMAT_NONCANONICAL', withSections([suite((b) => cat(b, Uint8Array.of(0))), stz]));
  F('fail_section_length_overflow', 'a section length beyond the header', 'ERR_FORMAT_TRUNCATED', (() => {
    const e = withSections(bs).slice();
    e.set(u32(0x7fffffff), 12 + 2);
    return e;
  })());
  F('fail_stanza_count_zero', 'zero stanzas', 'ERR_FORMAT_LIMIT', withSections([bs[0]!, { type: SECTION.stanzas, body: Uint8Array.of(0) }]));
  F('fail_stanza_count_65', '65 stanzas', 'ERR_FORMAT_LIMIT', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection(Array.from({ length: 65 }, () => ({ type: 'x', args: [], body: new Uint8Array(1) }))) }]));
  F('fail_stanza_body_oversized', 'stanza body length 65537 declared', 'ERR_FORMAT_LIMIT', withSections([bs[0]!, { type: SECTION.stanzas, body: cat(Uint8Array.of(1, 1, 0x78, 0), u32(65537), new Uint8Array(16)) }]));
  F('fail_stanza_too_many_args', 'stanza with 9 arguments', 'ERR_FORMAT_LIMIT', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'x', args: Array(9).fill('a'), body: new Uint8Array(0) }]) }]));
  F('fail_stanza_arg_oversized', 'stanza argument of 257 characters', 'ERR_FORMAT_LIMIT', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'x', args: ['a'.repeat(257)], body: new Uint8Array(0) }]) }]));
  F('fail_stanza_bad_type', 'stanza type with a space', 'ERR_FORMAT_STANZA', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'x y', args: [], body: new Uint8Array(0) }]) }]));
  F('fail_stanza_bad_arg', 'stanza argument with a space', 'ERR_FORMAT_STANZA', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'x', args: ['a b'], body: new Uint8Array(0) }]) }]));

  // ---- fail: keys and MAC -----------------------------------------------------------------------
  const flip = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at]! ^= 1;
    return c;
  };
  F('fail_bad_mac', 'last MAC byte flipped', 'ERR_FORMAT_DECRYPT_FAILED', flip(base.env, bl - 1));
  F('fail_salt_flipped', 'a salt bit flipped (MAC no longer matches)', 'ERR_FORMAT_DECRYPT_FAILED', flip(base.env, 12 + 6 + 3 + 5));
  F('fail_no_matching_stanza', 'no test-filekey stanza', 'ERR_FORMAT_DECRYPT_FAILED', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'other', args: [], body: base.fileKey }]) }]));
  F('fail_wrong_file_key', 'test-filekey stanza with a different key', 'ERR_FORMAT_DECRYPT_FAILED', withSections([bs[0]!, { type: SECTION.stanzas, body: stanzaSection([{ type: 'test-filekey', args: [], body: fk('wrong') }]) }]));
  F('fail_signer_stripped', 'signer section removed from a signed envelope', 'ERR_FORMAT_DECRYPT_FAILED', (() => {
    const { sections, length } = splitHeader(signed.env);
    const rebuilt = buildHeader(sections.filter((s) => s.type !== SECTION.signer), signed.fileKey, signed.salt);
    // keep the old MAC: only someone with the file key could recompute it
    const forged = cat(rebuilt.subarray(0, rebuilt.length - 32), signed.env.subarray(length - 32, length));
    return cat(forged, signed.env.subarray(length));
  })(), signed.fileKey);

  F('fail_key_commitment_flipped', 'a bit of the key commitment flipped, header re-MACed with the right file key', 'ERR_FORMAT_DECRYPT_FAILED', withSections([suite((b) => ((b[b.length - 1]! ^= 1), b)), stz]));
  {
    const k1 = fk('two-faced-1');
    const k2 = fk('two-faced-2');
    const { evil } = await twoFacedEnvelopes(k1, k2, saltOf('two-faced'), testSigner(SIGNER_KEY), buildHeader, splitHeader);
    F('fail_key_commitment_mismatch', 'signed AES-GCM envelope whose chunk tag also verifies under a second file key (GCM key collision), re-wrapped for that key with a valid MAC: the commitment names the first key (the signature alone still verifies without a key)', 'ERR_FORMAT_DECRYPT_FAILED', evil, k2);
  }

  // ---- fail: payload framing --------------------------------------------------------------------
  const full = 64 + 16;
  const chunks = [0, 1, 2, 3].map((i) => basePayload.subarray(i * full, Math.min((i + 1) * full, basePayload.length)));
  const hdr = base.env.subarray(0, bl);
  const bp = base.plaintext;
  const ptChunk = (i: number) => bp.subarray(i * 64, Math.min((i + 1) * 64, bp.length));
  F('fail_truncated_at_chunk_boundary', 'final chunk dropped: ends after a non-final chunk', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, chunks[0]!, chunks[1]!, chunks[2]!));
  F('fail_truncated_mid_chunk', 'cut in the middle of the final chunk', 'ERR_FORMAT_DECRYPT_FAILED', base.env.subarray(0, base.env.length - 7));
  F('fail_truncated_inside_tag', 'payload ends 5 bytes into a chunk', 'ERR_FORMAT_TRUNCATED', cat(hdr, chunks[0]!, chunks[1]!.subarray(0, 5)));
  F('fail_no_payload', 'header only', 'ERR_FORMAT_TRUNCATED', hdr);
  F('fail_trailing_data', '17 bytes appended', 'ERR_FORMAT_DECRYPT_FAILED', cat(base.env, seeded('trail', 17)));
  F('fail_trailing_data_short', '3 bytes appended after a full final chunk (a streaming reader opens that chunk as non-final)', 'ERR_FORMAT_DECRYPT_FAILED', cat(lastFull.env, Uint8Array.of(1, 2, 3)), lastFull.fileKey);
  F('fail_trailing_zero_chunk', 'a whole zero chunk appended after a full final chunk', 'ERR_FORMAT_DECRYPT_FAILED', cat(lastFull.env, new Uint8Array(full)), lastFull.fileKey);
  F('fail_reordered_chunks', 'chunks 0 and 1 swapped', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, chunks[1]!, chunks[0]!, chunks[2]!, chunks[3]!));
  F('fail_duplicated_chunk', 'chunk 0 repeated', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, chunks[0]!, chunks[0]!, chunks[1]!, chunks[2]!, chunks[3]!));
  F('fail_chunk_tag_flipped', 'a tag bit of chunk 1 flipped', 'ERR_FORMAT_DECRYPT_FAILED', flip(base.env, bl + 2 * full - 1));
  F('fail_chunk_body_flipped', 'a ciphertext bit of the final chunk flipped', 'ERR_FORMAT_DECRYPT_FAILED', flip(base.env, bl + 3 * full + 2));
  F('fail_empty_last_chunk', 'three full chunks then a correctly sealed empty final chunk', 'ERR_FORMAT_EMPTY_LAST_CHUNK', cat(hdr, sealRaw(base.fileKey, base.salt, [0, 1, 2].map((i) => ({ data: ptChunk(i), index: i, last: false })).concat([{ data: new Uint8Array(0), index: 3, last: true }]))));
  F('fail_missing_final_flag', 'every chunk sealed as non-final', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, sealRaw(base.fileKey, base.salt, [0, 1, 2, 3].map((i) => ({ data: ptChunk(i), index: i, last: false })))));
  F('fail_final_flag_early', 'chunk 1 sealed as final, more chunks follow', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, sealRaw(base.fileKey, base.salt, [0, 1, 2, 3].map((i) => ({ data: ptChunk(i), index: i, last: i >= 1 })))));
  F('fail_chunk_counter_skipped', 'chunks sealed with counters 0, 2, 3, 4', 'ERR_FORMAT_DECRYPT_FAILED', cat(hdr, sealRaw(base.fileKey, base.salt, [0, 1, 2, 3].map((i) => ({ data: ptChunk(i), index: i === 0 ? 0 : i + 1, last: i === 3 })))));
  F('fail_wrong_aead', 'header says AES-256-GCM, payload sealed with ChaCha20-Poly1305 (valid MAC)', 'ERR_FORMAT_DECRYPT_FAILED', withSections([suite((b) => ((b[0] = 2), b)), stz]));

  // ---- fail: HE section -------------------------------------------------------------------------
  const { sections: hs, length: hl } = splitHeader(he.env);
  const hePayload = he.env.subarray(hl);
  const heS = heSample();
  const heKeepMac = (entries: HeSection['entries']) => {
    const sections = hs.map((s) => (s.type === SECTION.he ? { type: s.type, body: rawHe({ metadata: heS.metadata, entries }) } : s));
    const rebuilt = buildHeader(sections, he.fileKey, he.salt);
    return cat(rebuilt.subarray(0, rebuilt.length - 32), he.env.subarray(hl - 32, hl), hePayload);
  };
  const heValidMac = (entries: HeSection['entries']) => {
    const sections = hs.map((s) => (s.type === SECTION.he ? { type: s.type, body: rawHe({ metadata: heS.metadata, entries }) } : s));
    return cat(buildHeader(sections, he.fileKey, he.salt), hePayload);
  };
  const [e0, e1, e2] = heS.entries as [typeof heS.entries[0], typeof heS.entries[0], typeof heS.entries[0]];
  F('fail_he_swapped_ciphertexts', 'ciphertexts of amount#0 and fee#0 swapped', 'ERR_FORMAT_DECRYPT_FAILED', heKeepMac([{ ...e0, ciphertext: e2.ciphertext }, e1, { ...e2, ciphertext: e0.ciphertext }]), he.fileKey);
  F('fail_he_dropped_field', 'entry fee#0 removed', 'ERR_FORMAT_DECRYPT_FAILED', heKeepMac([e0, e1]), he.fileKey);
  F('fail_he_renamed_path', 'path fee renamed to fez', 'ERR_FORMAT_DECRYPT_FAILED', heKeepMac([e0, e1, { ...e2, path: 'fez' }]), he.fileKey);
  F('fail_he_ciphertext_flipped', 'one bit of an HE ciphertext flipped', 'ERR_FORMAT_DECRYPT_FAILED', heKeepMac([e0, e1, { ...e2, ciphertext: flip(e2.ciphertext, 7) }]), he.fileKey);
  F('fail_he_duplicated_field', 'entry fee#0 twice (valid MAC)', 'ERR_FORMAT_HE', heValidMac([e0, e1, e2, e2]), he.fileKey);
  F('fail_he_unsorted', 'entries out of order (valid MAC)', 'ERR_FORMAT_HE', heValidMac([e2, e0, e1]), he.fileKey);
  F('fail_he_part_gap', 'parts 0 and 2 of one path (valid MAC)', 'ERR_FORMAT_HE', heValidMac([e0, { ...e1, part: 2 }, e2]), he.fileKey);
  F('fail_he_ciphertext_oversized', 'HE ciphertext length 2^25+1 declared', 'ERR_FORMAT_LIMIT', (() => {
    const body = rawHe({ metadata: heS.metadata, entries: [e0] });
    const at = body.length - e0.ciphertext.length - 4;
    body.set(u32(2 ** 25 + 1), at);
    return cat(buildHeader(hs.map((s) => (s.type === SECTION.he ? { type: s.type, body } : s)), he.fileKey, he.salt), hePayload);
  })(), he.fileKey);

  // ---- fail: signature --------------------------------------------------------------------------
  F('fail_bad_signature', 'a signature bit flipped', 'ERR_FORMAT_SIGNATURE_INVALID', flip(signed.env, signed.env.length - 44 + 4 + 3), signed.fileKey, { requireSignature: true });
  F('fail_signature_padding', 'non-zero signature padding', 'ERR_FORMAT_SIGNATURE_ENCODING', flip(signed.env, signed.env.length - 1), signed.fileKey, { requireSignature: true });
  F('fail_signature_length_oversized', 'signature length field 41 in a 44-byte trailer', 'ERR_FORMAT_SIGNATURE_ENCODING', (() => {
    const e = signed.env.slice();
    e.set(u32(41), e.length - 44);
    return e;
  })(), signed.fileKey, { requireSignature: true });
  F('fail_signature_missing', 'trailer cut off', 'ERR_FORMAT_DECRYPT_FAILED', signed.env.subarray(0, signed.env.length - 44), signed.fileKey, { requireSignature: true });
  F('fail_signature_required', 'unsigned envelope where a signature is required', 'ERR_FORMAT_SIGNATURE_REQUIRED', base.env, base.fileKey, { requireSignature: true });
  F('fail_signature_other_payload', 'trailer of good_signed moved onto another payload of the same key', 'ERR_FORMAT_SIGNATURE_INVALID', await (async () => {
    const other = await encryptEnvelope(seeded('pt/other', 150), { fileKey: signed.fileKey, salt: signed.salt, stanzas: [testStanza(signed.fileKey)], chunkSize: 64, signer: testSigner(seeded('other-signer', 32)) });
    return cat(other.subarray(0, other.length - 44), signed.env.subarray(signed.env.length - 44));
  })(), signed.fileKey, { requireSignature: true });

  // ---- fail: more structure (valid MACs) --------------------------------------------------------
  {
    const { sections, length } = splitHeader(signed.env);
    const rest = signed.env.subarray(length);
    const enc = new TextEncoder();
    const signerBody = (alg: string, key: Uint8Array, trailer: number) => cat(Uint8Array.of(alg.length), enc.encode(alg), u16(key.length), key, u32(trailer));
    const withSigner = (body: Uint8Array) => cat(buildHeader(sections.map((x) => (x.type === SECTION.signer ? { type: x.type, body } : x)), signed.fileKey, signed.salt), rest);
    F('fail_signer_bad_alg', 'signer alg with a space', 'ERR_FORMAT_SIGNER', withSigner(signerBody('ml dsa', SIGNER_KEY, 44)), signed.fileKey);
    F('fail_signer_trailer_oversized', 'signature trailer length 65537', 'ERR_FORMAT_LIMIT', withSigner(signerBody('test-hmac-sha256', SIGNER_KEY, 65537)), signed.fileKey);
    F('fail_signer_key_empty', 'signer key of length 0', 'ERR_FORMAT_LIMIT', withSigner(signerBody('test-hmac-sha256', new Uint8Array(0), 44)), signed.fileKey);
  }
  F('fail_he_invalid_utf8_path', 'HE path bytes ff fe (valid MAC)', 'ERR_FORMAT_NONCANONICAL', (() => {
    const body = rawHe({ metadata: heS.metadata, entries: [{ ...e0, path: 'zz' }] });
    const at = 4 + heS.metadata.length + 2 + 2;
    body.set([0xff, 0xfe], at);
    return cat(buildHeader(hs.map((s) => (s.type === SECTION.he ? { type: s.type, body } : s)), he.fileKey, he.salt), hePayload);
  })(), he.fileKey);
  F('fail_he_control_char_path', 'HE path with a newline (valid MAC)', 'ERR_FORMAT_HE', heValidMac([{ ...e0, path: 'a\nb' }]), he.fileKey);
  F('fail_stanzas_trailing_byte', 'stanzas section one byte too long (valid MAC)', 'ERR_FORMAT_NONCANONICAL', withSections([bs[0]!, { type: SECTION.stanzas, body: cat(stanzaBody, Uint8Array.of(0)) }]));

  // ---- fail: inner layer ------------------------------------------------------------------------
  {
    const r = await make('innerother', seeded('pt/innerother', 30), { inner: xorInner(seeded('other-model', 32)) });
    F('fail_inner_layer_unknown', 'names an inner layer the reader does not have', 'ERR_FORMAT_INNER_LAYER', r.env, r.fileKey);
  }

  // ---- fail: armor ------------------------------------------------------------------------------
  const a = armor(base.env);
  const te = (s: string) => new TextEncoder().encode(s);
  const lines = a.split('\n');
  F('fail_armor_long_line', 'two body lines joined (128 characters)', 'ERR_FORMAT_ARMOR', te([lines[0], lines[1]! + lines[2]!, ...lines.slice(3)].join('\n')));
  F('fail_armor_short_inner_line', 'a body line of 60 characters before the last', 'ERR_FORMAT_ARMOR', te([lines[0], lines[1]!.slice(0, 60), lines[1]!.slice(60) + lines[2]!, ...lines.slice(3)].join('\n')));
  {
    // an envelope whose length is not a multiple of 3, so its last base64 quantum has padding bits
    const padded = [base, one, exact, plus1, gcm].find((x) => x.env.length % 3 !== 0)!;
    const pl = armor(padded.env).split('\n');
    const li = pl.length - 3;
    const last = pl[li]!;
    const target = last.indexOf('=') - 1;
    const ALPH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const mutated = last.slice(0, target) + ALPH[ALPH.indexOf(last[target]!) ^ 1] + last.slice(target + 1);
    F('fail_armor_noncanonical_base64', 'non-zero padding bits in the last base64 quantum', 'ERR_FORMAT_ARMOR', te([...pl.slice(0, li), mutated, ...pl.slice(li + 1)].join('\n')), padded.fileKey);
  }
  F('fail_armor_bad_begin', 'BEGIN line with a different label', 'ERR_FORMAT_ARMOR', te(a.replace('BEGIN NQC ENVELOPE', 'BEGIN AGE ENCRYPTED FILE')));
  F('fail_armor_missing_end', 'no END line', 'ERR_FORMAT_ARMOR', te(lines.slice(0, -2).join('\n') + '\n'));
  F('fail_armor_garbage_after_end', 'text after the END line', 'ERR_FORMAT_ARMOR', te(a + 'hello\n'));
  F('fail_armor_invalid_char', 'a body character outside base64', 'ERR_FORMAT_ARMOR', te(a.replace(lines[1]!, lines[1]!.slice(0, 10) + '*' + lines[1]!.slice(11))));
  F('fail_armor_blank_line', 'an empty line inside the body', 'ERR_FORMAT_ARMOR', te([lines[0], lines[1], '', ...lines.slice(2)].join('\n')));
  F('fail_armor_trailing_space', 'a body line with a trailing space', 'ERR_FORMAT_ARMOR', te([lines[0], lines[1] + ' ', ...lines.slice(2)].join('\n')));
  return out;
}
