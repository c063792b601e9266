// The binary header of format v1 (FORMAT.md sections 3-5): prelude, typed sections, HMAC-SHA-256.
// Canonical by construction: fixed-width big-endian lengths, one encoding per value, sections in
// strictly increasing type order, HE entries in strictly increasing (path, part) order.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { ByteReader, ByteWriter, concatBytes, copyBytes, fromUtf8, utf8 } from './bytes.js';
import { checkBytes, fail, type NqcFormatErrorCode } from './errors.js';
import { deriveKeys, FILE_KEY_LENGTH, KEY_COMMITMENT_LENGTH, SALT_LENGTH } from './keys.js';
import { LIMITS } from './limits.js';
import type { AeadName } from './provider.js';

/** The first 7 bytes of every envelope, as ASCII. */
export const MAGIC = 'nqc-env';
const MAGIC_BYTES = utf8(MAGIC);
/** The format version this package writes and the only one it reads. */
export const FORMAT_VERSION = 1;
/** Bytes before the first section: magic (7), version (1), header length (4). */
export const PRELUDE_LENGTH = 12;
/** Bytes of the header MAC (HMAC-SHA-256). */
export const MAC_LENGTH = 32;
/** Bytes of an AEAD tag (both AEADs). */
export const TAG_LENGTH = 16;
/** Default chunk size: 64 KiB. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** Section type codes; bit 0x8000 marks a section a reader must understand. */
export const SECTION = Object.freeze({ suite: 0x8001, signer: 0x8002, he: 0x8003, stanzas: 0x8004 });
const CRITICAL = 0x8000;

const AEAD_CODES: Readonly<Record<AeadName, number>> = { 'chacha20-poly1305': 1, 'aes-256-gcm': 2 };
const AEAD_BY_CODE: Readonly<Record<number, AeadName>> = { 1: 'chacha20-poly1305', 2: 'aes-256-gcm' };

/** A recipient stanza (age's model): the container stores it, the caller's `unwrap` interprets it. */
export interface Stanza {
  /** Recipient type, e.g. `xwing`; 1-64 chars of `[A-Za-z0-9._+-]`, first one alphanumeric. */
  readonly type: string;
  /** 0-8 arguments, each 1-256 chars of `[A-Za-z0-9+/=._:-]`. */
  readonly args: readonly string[];
  /** 0-65536 bytes, e.g. a KEM ciphertext and the sealed file key. */
  readonly body: Uint8Array;
}

/** The payload suite. */
export interface Suite {
  /** Payload AEAD. */
  readonly aead: AeadName;
  /** Plaintext bytes per chunk: a power of two from 64 B to 16 MiB. */
  readonly chunkSize: number;
  /** 32-byte id of the inner layer (NDE model SHA-256), or `null` for none. */
  readonly innerId: Uint8Array | null;
  /** 32 random bytes: the HKDF salt of every derived key. */
  readonly salt: Uint8Array;
  /**
   * 32-byte key commitment `HKDF(fileKey, salt, "nqc/v1/commit")` (FORMAT.md section 2). Always set
   * by the parser; {@link encodeHeader} ignores this field and computes it from the file key.
   */
  readonly commit?: Uint8Array | undefined;
}

/** Who signed the envelope and how many trailer bytes the signature occupies. */
export interface SignerInfo {
  /** Signature algorithm id, e.g. `ml-dsa-65`; charset as a stanza type. */
  readonly alg: string;
  /** Signer public key or key id (1-8192 bytes), as chosen by the signing layer. */
  readonly key: Uint8Array;
  /** Exact length of the signature trailer: 4 + maximum signature length (5-65536). */
  readonly trailerLength: number;
}

/** One homomorphic ciphertext bound to a field path. */
export interface HeEntry {
  /** Field path (UTF-8, 1-1024 bytes, no control characters). */
  readonly path: string;
  /** Part number when one field needs several ciphertexts: 0, 1, 2, ... per path. */
  readonly part: number;
  /** Scheme name, e.g. `bfv`, `ckks` (charset as a stanza type, 1-32). */
  readonly scheme: string;
  /** Parameters id (0-64 bytes). */
  readonly paramsId: Uint8Array;
  /** HE key id (0-64 bytes). */
  readonly keyId: Uint8Array;
  /** Layout name, e.g. `record`, `column` (charset as a stanza type, 1-32). */
  readonly layout: string;
  /** Number of values packed in this ciphertext (u32). */
  readonly count: number;
  /** Opaque serialized ciphertext (0-32 MiB). */
  readonly ciphertext: Uint8Array;
}

/** The HE section: opaque canonical metadata and the entries. */
export interface HeSection {
  /** Opaque metadata bytes from the HE layer (0-1 MiB). */
  readonly metadata: Uint8Array;
  /** 1-4096 entries; the encoder sorts them by (path bytes, part). */
  readonly entries: readonly HeEntry[];
}

/** An unknown non-critical section, kept verbatim so a header rewrite preserves it. */
export interface UnknownSection {
  /** Section type, 0x0001-0x7fff (non-critical). */
  readonly type: number;
  /** Section body, verbatim. */
  readonly body: Uint8Array;
}

/** Everything a header says, before encoding. */
export interface HeaderFields {
  readonly suite: Suite;
  readonly stanzas: readonly Stanza[];
  readonly signer?: SignerInfo | undefined;
  readonly he?: HeSection | undefined;
  /** Non-critical sections from a parsed header (writers of v1 emit none). */
  readonly extra?: readonly UnknownSection[] | undefined;
}

/** A parsed (not yet authenticated) header. */
export interface ParsedHeader extends HeaderFields {
  /** The exact header bytes, magic to MAC. */
  readonly bytes: Uint8Array;
  /** Header length in bytes (offset of the payload). */
  readonly length: number;
  /** The 32-byte MAC found in the header. */
  readonly mac: Uint8Array;
  /** The bytes the signature transcript covers: magic, version and every section except the stanzas. */
  readonly signedBytes: Uint8Array;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const ARG_RE = /^[A-Za-z0-9+/=._:-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

function checkName(value: unknown, max: number, what: string, code: NqcFormatErrorCode): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max || !NAME_RE.test(value)) {
    fail(code, `${what} must be 1-${max} chars of [A-Za-z0-9._+-] starting alphanumeric`);
  }
  return value;
}

function checkStanza(s: Stanza, code: NqcFormatErrorCode): void {
  checkName(s?.type, LIMITS.maxStanzaTypeLength, 'stanza type', code);
  if (!Array.isArray(s.args) || s.args.length > LIMITS.maxStanzaArgs) fail(code, `stanza args: at most ${LIMITS.maxStanzaArgs}`);
  for (const a of s.args) {
    if (typeof a !== 'string' || a.length < 1 || a.length > LIMITS.maxStanzaArgLength || !ARG_RE.test(a)) {
      fail(code, `stanza argument must be 1-${LIMITS.maxStanzaArgLength} chars of [A-Za-z0-9+/=._:-]`);
    }
  }
  if (!(s.body instanceof Uint8Array)) fail(code, 'stanza body must be a Uint8Array');
  if (s.body.length > LIMITS.maxStanzaBodyLength) fail(code, `stanza body longer than ${LIMITS.maxStanzaBodyLength}`);
}

function checkPath(path: unknown, code: NqcFormatErrorCode): Uint8Array {
  if (typeof path !== 'string' || path.length === 0 || CONTROL_RE.test(path)) fail(code, 'HE path must be non-empty UTF-8 without control characters');
  const b = utf8(path);
  if (b.length > LIMITS.maxHePathLength) fail(code, `HE path longer than ${LIMITS.maxHePathLength} bytes`);
  if (fromUtf8(b, 'HE path') !== path) fail(code, 'HE path is not well-formed Unicode');
  return b;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function compareEntries(a: { pathBytes: Uint8Array; part: number }, b: { pathBytes: Uint8Array; part: number }): number {
  return compareBytes(a.pathBytes, b.pathBytes) || a.part - b.part;
}

/** Checks parts per path are 0..n-1 in order (entries already sorted and unique). */
function checkParts(entries: readonly { pathBytes: Uint8Array; part: number }[], code: NqcFormatErrorCode): void {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const prev = entries[i - 1];
    const expected = prev && equalBytes(prev.pathBytes, e.pathBytes) ? prev.part + 1 : 0;
    if (e.part !== expected) fail(code, `HE entry parts must be consecutive from 0 (path ${JSON.stringify(fromUtf8(e.pathBytes, 'HE path'))})`);
  }
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function chunkSizeLog2(size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size)) return -1;
  const log = Math.log2(size);
  return Number.isInteger(log) && log >= LIMITS.minChunkSizeLog2 && log <= LIMITS.maxChunkSizeLog2 ? log : -1;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

function encodeSuite(s: Suite, commit: Uint8Array): Uint8Array {
  const aead = AEAD_CODES[s.aead];
  if (aead === undefined) fail('ERR_FORMAT_INVALID_ARGUMENT', `unknown AEAD ${String(s.aead)}`);
  const log = chunkSizeLog2(s.chunkSize);
  if (log < 0) fail('ERR_FORMAT_INVALID_ARGUMENT', `chunkSize must be a power of two from 2^${LIMITS.minChunkSizeLog2} to 2^${LIMITS.maxChunkSizeLog2}, got ${s.chunkSize}`);
  checkBytes('suite.salt', s.salt, SALT_LENGTH);
  const w = new ByteWriter().u8(aead).u8(log);
  if (s.innerId === null) w.u8(0);
  else {
    checkBytes('suite.innerId', s.innerId, 32);
    w.u8(1).bytes(s.innerId);
  }
  return w.bytes(s.salt).bytes(commit).finish();
}

function encodeSigner(s: SignerInfo): Uint8Array {
  const code = 'ERR_FORMAT_INVALID_ARGUMENT';
  checkName(s.alg, LIMITS.maxSignerAlgLength, 'signer alg', code);
  checkBytes('signer.key', s.key);
  if (s.key.length < 1 || s.key.length > LIMITS.maxSignerKeyLength) fail(code, `signer key must be 1-${LIMITS.maxSignerKeyLength} bytes`);
  if (!isU32(s.trailerLength) || s.trailerLength < 5 || s.trailerLength > LIMITS.maxSignatureTrailerLength) {
    fail(code, `signer trailerLength must be 5-${LIMITS.maxSignatureTrailerLength}`);
  }
  return new ByteWriter().u8(s.alg.length).bytes(utf8(s.alg)).u16(s.key.length).bytes(s.key).u32(s.trailerLength).finish();
}

function encodeHe(he: HeSection): Uint8Array {
  const code = 'ERR_FORMAT_INVALID_ARGUMENT';
  checkBytes('he.metadata', he.metadata);
  if (he.metadata.length > LIMITS.maxHeMetadataLength) fail(code, `HE metadata longer than ${LIMITS.maxHeMetadataLength}`);
  if (!Array.isArray(he.entries) || he.entries.length < 1 || he.entries.length > LIMITS.maxHeEntries) {
    fail(code, `HE section needs 1-${LIMITS.maxHeEntries} entries`);
  }
  const sorted = he.entries.map((e) => {
    const pathBytes = checkPath(e.path, code);
    if (!isU32(e.part)) fail(code, 'HE entry part must be a u32');
    return { e, pathBytes, part: e.part };
  });
  sorted.sort(compareEntries);
  for (let i = 1; i < sorted.length; i++) {
    if (compareEntries(sorted[i - 1]!, sorted[i]!) === 0) fail(code, `duplicate HE entry ${JSON.stringify(sorted[i]!.e.path)} part ${sorted[i]!.part}`);
  }
  checkParts(sorted, code);
  const w = new ByteWriter().u32(he.metadata.length).bytes(he.metadata).u16(sorted.length);
  for (const { e, pathBytes } of sorted) {
    checkName(e.scheme, LIMITS.maxHeNameLength, 'HE scheme', code);
    checkName(e.layout, LIMITS.maxHeNameLength, 'HE layout', code);
    checkBytes('he.paramsId', e.paramsId);
    checkBytes('he.keyId', e.keyId);
    checkBytes('he.ciphertext', e.ciphertext);
    if (e.paramsId.length > LIMITS.maxHeIdLength || e.keyId.length > LIMITS.maxHeIdLength) fail(code, `HE ids are at most ${LIMITS.maxHeIdLength} bytes`);
    if (!isU32(e.count)) fail(code, 'HE entry count must be a u32');
    if (e.ciphertext.length > LIMITS.maxHeCiphertextLength) fail(code, `HE ciphertext longer than ${LIMITS.maxHeCiphertextLength}`);
    w.u16(pathBytes.length).bytes(pathBytes).u32(e.part);
    w.u8(e.scheme.length).bytes(utf8(e.scheme));
    w.u8(e.paramsId.length).bytes(e.paramsId).u8(e.keyId.length).bytes(e.keyId);
    w.u8(e.layout.length).bytes(utf8(e.layout));
    w.u32(e.count).u32(e.ciphertext.length).bytes(e.ciphertext);
  }
  if (w.length > LIMITS.maxHeSectionLength) fail(code, `HE section longer than ${LIMITS.maxHeSectionLength}`);
  return w.finish();
}

function encodeStanzas(stanzas: readonly Stanza[]): Uint8Array {
  const code = 'ERR_FORMAT_INVALID_ARGUMENT';
  if (!Array.isArray(stanzas) || stanzas.length < 1 || stanzas.length > LIMITS.maxStanzas) fail(code, `need 1-${LIMITS.maxStanzas} stanzas`);
  const w = new ByteWriter().u8(stanzas.length);
  for (const s of stanzas) {
    checkStanza(s, code);
    w.u8(s.type.length).bytes(utf8(s.type)).u8(s.args.length);
    for (const a of s.args) w.u16(a.length).bytes(utf8(a));
    w.u32(s.body.length).bytes(s.body);
  }
  return w.finish();
}

function section(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter().u16(type).u32(body.length).bytes(body).finish();
}

/** @internal HMAC-SHA-256 of the header bytes before the MAC. */
export function computeHeaderMac(headerKey: Uint8Array, headerWithoutMac: Uint8Array): Uint8Array {
  return hmac(sha256, headerKey, headerWithoutMac);
}

/**
 * Encodes a header and computes its MAC with the header key derived from `fileKey`.
 *
 * @param fields - suite, 1-64 stanzas, optional signer and HE section
 * @param fileKey - the 32-byte file key (used only for the MAC key)
 * @returns the header bytes, magic to MAC
 * @throws NqcFormatError `ERR_FORMAT_INVALID_ARGUMENT` when a field is outside the format's limits
 */
export function encodeHeader(fields: HeaderFields, fileKey: Uint8Array): Uint8Array {
  checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
  const sections: { type: number; bytes: Uint8Array }[] = [];
  for (const x of fields.extra ?? []) {
    if (!isU32(x.type) || x.type < 1 || x.type >= CRITICAL) fail('ERR_FORMAT_INVALID_ARGUMENT', 'extra sections must be non-critical (type 1-0x7fff)');
    checkBytes('extra.body', x.body);
    sections.push({ type: x.type, bytes: section(x.type, x.body) });
  }
  checkBytes('suite.salt', fields.suite?.salt, SALT_LENGTH);
  const keys = deriveKeys(fileKey, fields.suite.salt);
  sections.push({ type: SECTION.suite, bytes: section(SECTION.suite, encodeSuite(fields.suite, keys.commit)) });
  if (fields.signer) sections.push({ type: SECTION.signer, bytes: section(SECTION.signer, encodeSigner(fields.signer)) });
  if (fields.he) sections.push({ type: SECTION.he, bytes: section(SECTION.he, encodeHe(fields.he)) });
  sections.push({ type: SECTION.stanzas, bytes: section(SECTION.stanzas, encodeStanzas(fields.stanzas)) });
  for (let i = 1; i < sections.length; i++) {
    if (sections[i - 1]!.type >= sections[i]!.type) fail('ERR_FORMAT_INVALID_ARGUMENT', 'extra sections must have distinct types');
  }
  const body = concatBytes(sections.map((s) => s.bytes));
  const length = PRELUDE_LENGTH + body.length + MAC_LENGTH;
  if (length > LIMITS.maxHeaderLength) fail('ERR_FORMAT_INVALID_ARGUMENT', `header longer than ${LIMITS.maxHeaderLength}`);
  const w = new ByteWriter().bytes(MAGIC_BYTES).u8(FORMAT_VERSION).u32(length).bytes(body);
  const unmaced = w.finish();
  return concatBytes([unmaced, computeHeaderMac(keys.header, unmaced)]);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/**
 * Throws `ERR_FORMAT_MAGIC` unless `bytes` (possibly shorter than the magic, e.g. the first bytes of
 * a stream) is a prefix of an envelope's magic or starts with it: rejects a wrong input early.
 */
export function checkMagicPrefix(bytes: Uint8Array): void {
  checkBytes('bytes', bytes);
  const n = Math.min(bytes.length, MAGIC_BYTES.length);
  if (!equalBytes(bytes.subarray(0, n), MAGIC_BYTES.subarray(0, n))) fail('ERR_FORMAT_MAGIC', 'not an nqc envelope (bad magic)');
}

/**
 * Reads the 12-byte prelude: checks magic and version and returns the total header length.
 *
 * @throws NqcFormatError `ERR_FORMAT_TRUNCATED` (< 12 bytes), `ERR_FORMAT_MAGIC`, `ERR_FORMAT_VERSION`,
 *   `ERR_FORMAT_LIMIT` (header length out of range)
 */
export function parsePrelude(bytes: Uint8Array): number {
  checkMagicPrefix(bytes);
  if (bytes.length < PRELUDE_LENGTH) fail('ERR_FORMAT_TRUNCATED', `envelope too short for the header prelude (${bytes.length} bytes)`);
  if (bytes[7] !== FORMAT_VERSION) fail('ERR_FORMAT_VERSION', `unsupported format version ${bytes[7]}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0);
  // Smallest header: prelude, suite and stanzas section headers, MAC.
  if (length < PRELUDE_LENGTH + 12 + MAC_LENGTH || length > LIMITS.maxHeaderLength) {
    fail('ERR_FORMAT_LIMIT', `header length ${length} out of range`);
  }
  return length;
}

function parseSuite(r: ByteReader): Suite {
  const aeadCode = r.u8();
  const aead = AEAD_BY_CODE[aeadCode];
  if (aead === undefined) fail('ERR_FORMAT_SUITE', `unknown AEAD code ${aeadCode}`);
  const log = r.u8();
  if (log < LIMITS.minChunkSizeLog2 || log > LIMITS.maxChunkSizeLog2) fail('ERR_FORMAT_SUITE', `chunk size 2^${log} out of range`);
  const innerKind = r.u8();
  if (innerKind > 1) fail('ERR_FORMAT_SUITE', `unknown inner layer kind ${innerKind}`);
  const innerId = innerKind === 1 ? r.bytes(32).slice() : null;
  const salt = r.bytes(SALT_LENGTH).slice();
  const commit = r.bytes(KEY_COMMITMENT_LENGTH).slice();
  r.done();
  return { aead, chunkSize: 2 ** log, innerId, salt, commit };
}

function readName(r: ByteReader, len: number, max: number, what: string, code: NqcFormatErrorCode): string {
  if (len < 1 || len > max) fail('ERR_FORMAT_LIMIT', `${what} length ${len} out of range 1-${max}`);
  const s = fromUtf8(r.bytes(len), what);
  return checkName(s, max, what, code);
}

function parseSigner(r: ByteReader): SignerInfo {
  const alg = readName(r, r.u8(), LIMITS.maxSignerAlgLength, 'signer alg', 'ERR_FORMAT_SIGNER');
  const keyLen = r.u16();
  if (keyLen < 1 || keyLen > LIMITS.maxSignerKeyLength) fail('ERR_FORMAT_LIMIT', `signer key length ${keyLen} out of range`);
  const key = r.bytes(keyLen).slice();
  const trailerLength = r.u32();
  if (trailerLength < 5 || trailerLength > LIMITS.maxSignatureTrailerLength) fail('ERR_FORMAT_LIMIT', `signature trailer length ${trailerLength} out of range`);
  r.done();
  return { alg, key, trailerLength };
}

function parseHe(r: ByteReader): HeSection {
  const metaLen = r.u32();
  if (metaLen > LIMITS.maxHeMetadataLength) fail('ERR_FORMAT_LIMIT', `HE metadata length ${metaLen} too large`);
  const metadata = r.bytes(metaLen).slice();
  const count = r.u16();
  if (count < 1 || count > LIMITS.maxHeEntries) fail('ERR_FORMAT_LIMIT', `HE entry count ${count} out of range`);
  const entries: HeEntry[] = [];
  const keys: { pathBytes: Uint8Array; part: number }[] = [];
  for (let i = 0; i < count; i++) {
    const pathLen = r.u16();
    if (pathLen < 1 || pathLen > LIMITS.maxHePathLength) fail('ERR_FORMAT_LIMIT', `HE path length ${pathLen} out of range`);
    const pathBytes = r.bytes(pathLen).slice();
    const path = fromUtf8(pathBytes, 'HE path');
    checkPath(path, 'ERR_FORMAT_HE');
    const part = r.u32();
    const scheme = readName(r, r.u8(), LIMITS.maxHeNameLength, 'HE scheme', 'ERR_FORMAT_HE');
    const pLen = r.u8();
    if (pLen > LIMITS.maxHeIdLength) fail('ERR_FORMAT_LIMIT', `HE params id length ${pLen} too large`);
    const paramsId = r.bytes(pLen).slice();
    const kLen = r.u8();
    if (kLen > LIMITS.maxHeIdLength) fail('ERR_FORMAT_LIMIT', `HE key id length ${kLen} too large`);
    const keyId = r.bytes(kLen).slice();
    const layout = readName(r, r.u8(), LIMITS.maxHeNameLength, 'HE layout', 'ERR_FORMAT_HE');
    const valueCount = r.u32();
    const ctLen = r.u32();
    if (ctLen > LIMITS.maxHeCiphertextLength) fail('ERR_FORMAT_LIMIT', `HE ciphertext length ${ctLen} too large`);
    const ciphertext = r.bytes(ctLen).slice();
    const key = { pathBytes, part };
    const prev = keys[keys.length - 1];
    if (prev && compareEntries(prev, key) >= 0) fail('ERR_FORMAT_HE', 'HE entries must be in strictly increasing (path, part) order');
    keys.push(key);
    entries.push({ path, part, scheme, paramsId, keyId, layout, count: valueCount, ciphertext });
  }
  checkParts(keys, 'ERR_FORMAT_HE');
  r.done();
  return { metadata, entries };
}

function parseStanzas(r: ByteReader): Stanza[] {
  const count = r.u8();
  if (count < 1 || count > LIMITS.maxStanzas) fail('ERR_FORMAT_LIMIT', `stanza count ${count} out of range 1-${LIMITS.maxStanzas}`);
  const out: Stanza[] = [];
  for (let i = 0; i < count; i++) {
    const type = readName(r, r.u8(), LIMITS.maxStanzaTypeLength, 'stanza type', 'ERR_FORMAT_STANZA');
    const argc = r.u8();
    if (argc > LIMITS.maxStanzaArgs) fail('ERR_FORMAT_LIMIT', `stanza argument count ${argc} too large`);
    const args: string[] = [];
    for (let j = 0; j < argc; j++) {
      const len = r.u16();
      if (len < 1 || len > LIMITS.maxStanzaArgLength) fail('ERR_FORMAT_LIMIT', `stanza argument length ${len} out of range`);
      const a = fromUtf8(r.bytes(len), 'stanza argument');
      if (!ARG_RE.test(a)) fail('ERR_FORMAT_STANZA', 'stanza argument has characters outside [A-Za-z0-9+/=._:-]');
      args.push(a);
    }
    const bodyLen = r.u32();
    if (bodyLen > LIMITS.maxStanzaBodyLength) fail('ERR_FORMAT_LIMIT', `stanza body length ${bodyLen} too large`);
    out.push({ type, args, body: r.bytes(bodyLen).slice() });
  }
  r.done();
  return out;
}

/**
 * Parses a header strictly, without any key: structure, limits, canonical order. The MAC is NOT
 * verified here (see {@link verifyHeaderMac}); treat every field as attacker-controlled until it is.
 *
 * @param bytes - a buffer that starts with the envelope (it may continue with the payload)
 * @throws NqcFormatError with a specific `ERR_FORMAT_*` code for each structural problem
 * @example
 * ```ts
 * const h = parseHeader(envelope);
 * console.log(h.stanzas.map((s) => s.type), h.suite.chunkSize, h.length);
 * ```
 */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const length = parsePrelude(bytes);
  if (bytes.length < length) fail('ERR_FORMAT_TRUNCATED', `envelope ends inside the header (${bytes.length} of ${length} bytes)`);
  // One private copy: every field below is sliced from it, so no field aliases the caller's buffer.
  const header = copyBytes(bytes.subarray(0, length));
  const r = new ByteReader(header, 'header', PRELUDE_LENGTH, length - MAC_LENGTH);
  let suite: Suite | undefined;
  let signer: SignerInfo | undefined;
  let he: HeSection | undefined;
  let stanzas: Stanza[] | undefined;
  const extra: UnknownSection[] = [];
  const signed: Uint8Array[] = [header.subarray(0, 8)];
  let lastType = 0;
  while (r.remaining > 0) {
    const start = r.pos;
    const type = r.u16();
    const len = r.u32();
    if (type === 0) fail('ERR_FORMAT_UNKNOWN_SECTION', 'reserved section type 0');
    if (type <= lastType) fail('ERR_FORMAT_SECTION_ORDER', `section 0x${type.toString(16)} out of order`);
    lastType = type;
    const body = new ByteReader(header, `section 0x${type.toString(16)}`, r.pos, r.pos + len);
    if (len > r.remaining) fail('ERR_FORMAT_TRUNCATED', `section 0x${type.toString(16)} length ${len} exceeds the header`);
    r.pos += len;
    if (type !== SECTION.stanzas) signed.push(header.subarray(start, r.pos));
    switch (type) {
      case SECTION.suite:
        suite = parseSuite(body);
        break;
      case SECTION.signer:
        signer = parseSigner(body);
        break;
      case SECTION.he:
        if (len > LIMITS.maxHeSectionLength) fail('ERR_FORMAT_LIMIT', `HE section length ${len} too large`);
        he = parseHe(body);
        break;
      case SECTION.stanzas:
        stanzas = parseStanzas(body);
        break;
      default:
        if (type & CRITICAL) fail('ERR_FORMAT_UNKNOWN_SECTION', `unknown critical section 0x${type.toString(16)}`);
        extra.push({ type, body: header.slice(body.pos, body.end) });
    }
  }
  if (!suite) fail('ERR_FORMAT_MISSING_SECTION', 'header has no suite section');
  if (!stanzas) fail('ERR_FORMAT_MISSING_SECTION', 'header has no stanzas section');
  return {
    suite,
    stanzas,
    signer,
    he,
    extra: extra.length ? extra : undefined,
    bytes: header,
    length,
    mac: header.slice(length - MAC_LENGTH),
    signedBytes: concatBytes(signed),
  };
}

/**
 * Checks that `fileKey` opens this header: the key commitment in the suite section (FORMAT.md
 * section 2) and the header MAC, both recomputed from `fileKey` and compared in constant time. Both
 * are always computed, and the caller reports either failure as the same `ERR_FORMAT_DECRYPT_FAILED`.
 * @returns `true` when the commitment and the MAC match
 */
export function verifyHeaderMac(header: ParsedHeader, fileKey: Uint8Array): boolean {
  checkBytes('fileKey', fileKey, FILE_KEY_LENGTH);
  const keys = deriveKeys(fileKey, header.suite.salt);
  const expected = computeHeaderMac(keys.header, header.bytes.subarray(0, header.length - MAC_LENGTH));
  const commitOk = header.suite.commit instanceof Uint8Array && equalBytes(keys.commit, header.suite.commit);
  const macOk = equalBytes(expected, header.mac);
  return commitOk && macOk;
}

/**
 * Re-wraps an envelope for new recipients without touching its payload: verifies the old header with
 * `fileKey`, replaces the stanzas, and re-MACs. Concatenate the result with the old payload
 * (`envelope.subarray(oldHeader.length)`). A signature stays valid: it does not cover the stanzas.
 *
 * @param envelopeOrHeader - the old envelope (or at least its header)
 * @param fileKey - the envelope's file key (the caller unwrapped it)
 * @param stanzas - the new recipient stanzas
 * @returns `{ header, oldLength }`: the new header bytes and the old header's length
 * @throws NqcFormatError `ERR_FORMAT_DECRYPT_FAILED` when `fileKey` does not authenticate the old header
 */
export function rewriteHeader(
  envelopeOrHeader: Uint8Array,
  fileKey: Uint8Array,
  stanzas: readonly Stanza[],
): { header: Uint8Array; oldLength: number } {
  const old = parseHeader(envelopeOrHeader);
  if (!verifyHeaderMac(old, fileKey)) fail('ERR_FORMAT_DECRYPT_FAILED', 'could not decrypt');
  const header = encodeHeader({ suite: old.suite, signer: old.signer, he: old.he, extra: old.extra, stanzas }, fileKey);
  return { header, oldLength: old.length };
}
