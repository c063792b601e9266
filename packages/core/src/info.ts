// What an envelope says about itself, readable without any key (inspect) and, after opening, as the
// authenticated header (decrypt).
import { parseHeader, payloadLayout, type AeadName, type ParsedHeader } from '@nqc/container';
import { ndeVersionOf, type NdeVersion } from '@nqc/nde';
import { signerReport, type SignerReport } from './keys.js';

/** One recipient stanza, as seen without keys. */
export interface RecipientInfo {
  /** Stanza type: `xwing`, `mlkem1024`, or another registered KEM id. */
  readonly type: string;
  /** The 8-hex-char key-id hint, when the sender wrote one (`undefined` for anonymous stanzas). */
  readonly keyIdHint: string | undefined;
  /** Stanza body bytes (KEM ciphertext and sealed file key). */
  readonly bodyLength: number;
}

/** One HE-encrypted field of an envelope (all ciphertext parts of one path). */
export interface HeFieldInfo {
  /** Field path in the record, e.g. `patient.age`. */
  readonly path: string;
  /** Number of ciphertexts (parts) under this path. */
  readonly parts: number;
  /** HE scheme: `bfv` or `ckks`. */
  readonly scheme: string;
  /** Parameter set id (e.g. `nqc-she/v1/bfv-n4096-t40`). */
  readonly paramsId: string;
  /** HE key id (hex). */
  readonly keyId: string;
  /** `record` (one record) or `column` (one field of many records). */
  readonly layout: string;
  /** Values (records) covered, summed over the parts. */
  readonly count: number;
  /** Serialized ciphertext bytes, summed over the parts. */
  readonly bytes: number;
  /**
   * The field paths held in the ciphertext's slots, read from @nqc/she's canonical encoding (for a
   * record-layout entry: every HE field of the record); `undefined` when it is not that encoding.
   */
  readonly values: readonly string[] | undefined;
}

/** Sizes, when the whole envelope length is known. */
export interface EnvelopeSizes {
  /** Envelope bytes (binary form). */
  readonly envelope: number;
  /** Payload bytes (all chunks with their tags). */
  readonly payload: number;
  /** Number of payload chunks. */
  readonly chunks: number;
  /** Plaintext bytes. */
  readonly plaintext: number;
}

/**
 * The public description of an envelope. From {@link inspect} it is UNAUTHENTICATED (anyone can
 * forge a header; only opening it with a key proves it); from `decrypt` it is authenticated.
 */
export interface EnvelopeInfo {
  /** Format version (1). */
  readonly version: number;
  /** Whether the input was ASCII-armored. */
  readonly armored: boolean;
  /** Header bytes (offset of the payload). */
  readonly headerLength: number;
  /** Payload AEAD. */
  readonly aead: AeadName;
  /** Plaintext bytes per chunk. */
  readonly chunkSize: number;
  /**
   * The inner layer: `null` when off; else the model id the header names (hex SHA-256 of the model
   * file), the NDE construction `version` it is (1 or 2; `null` for a model this library does not
   * know, which decrypt refuses with `ERR_FORMAT_INNER_LAYER`), and `known` (`version !== null`).
   */
  readonly nde: { readonly modelId: string; readonly version: NdeVersion | null; readonly known: boolean } | null;
  /** Recipient stanzas in header order. */
  readonly recipients: readonly RecipientInfo[];
  /** The signer named in the header (checked only by `decrypt`), or `null`. */
  readonly signer: (SignerReport & { readonly trailerLength: number }) | null;
  /** HE fields, or `null` when the envelope has no HE section. */
  readonly he: { readonly metadataLength: number; readonly fields: readonly HeFieldInfo[] } | null;
  /** Sizes, when the input length is known (bytes, files, or a stream read to its end). */
  readonly sizes: EnvelopeSizes | undefined;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function printable(b: Uint8Array): string {
  const s = new TextDecoder('utf-8', { fatal: false }).decode(b);
  return /^[\x20-\x7e]*$/.test(s) ? s : hex(b);
}

/**
 * Best-effort read of the value paths of an @nqc/she ciphertext (its documented v1 encoding:
 * "NQHC" | version 1 | kind | op | scheme | layout | scaleBits | str16 paramsId | 16-byte keyId |
 * str16 path | u32 count | u16 n | n x (str16 path | 26 bytes)), without loading SEAL. Any surprise
 * gives `undefined`; nothing here is trusted (it is for display).
 */
function valuePaths(b: Uint8Array): string[] | undefined {
  if (b.length < 12 || b[0] !== 0x4e || b[1] !== 0x51 || b[2] !== 0x48 || b[3] !== 0x43 || b[4] !== 1) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  let p = 10;
  const str16 = (): string | undefined => {
    if (p + 2 > b.length) return undefined;
    const n = dv.getUint16(p);
    if (p + 2 + n > b.length) return undefined;
    try {
      return dec.decode(b.subarray(p + 2, p + 2 + n));
    } finally {
      p += 2 + n;
    }
  };
  try {
    if (str16() === undefined) return undefined; // paramsId
    p += 16; // keyId
    if (str16() === undefined) return undefined; // path
    p += 4; // count
    if (p + 2 > b.length) return undefined;
    const n = dv.getUint16(p);
    p += 2;
    if (n > 4096) return undefined;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = str16();
      if (s === undefined) return undefined;
      out.push(s);
      p += 26;
    }
    return out;
  } catch {
    return undefined;
  }
}

function ndeInfo(id: Uint8Array): NonNullable<EnvelopeInfo['nde']> {
  const version = ndeVersionOf(id) ?? null;
  return { modelId: hex(id), version, known: version !== null };
}

/** @internal Describes a parsed header; `total` is the binary envelope length when known. */
export function describe(header: ParsedHeader, armored: boolean, total?: number): EnvelopeInfo {
  const inner = header.suite.innerId;
  const fields: HeFieldInfo[] = [];
  for (const e of header.he?.entries ?? []) {
    const last = fields[fields.length - 1];
    if (last && last.path === e.path) {
      fields[fields.length - 1] = { ...last, parts: last.parts + 1, count: last.count + e.count, bytes: last.bytes + e.ciphertext.length };
    } else {
      fields.push({
        path: e.path,
        parts: 1,
        scheme: e.scheme,
        paramsId: printable(e.paramsId),
        keyId: hex(e.keyId),
        layout: e.layout,
        count: e.count,
        bytes: e.ciphertext.length,
        values: valuePaths(e.ciphertext),
      });
    }
  }
  let sizes: EnvelopeSizes | undefined;
  if (total !== undefined) {
    const payload = total - header.length - (header.signer?.trailerLength ?? 0);
    const layout = payloadLayout(payload, header.suite.chunkSize);
    sizes = { envelope: total, payload, chunks: layout.chunkCount, plaintext: layout.plaintextLength };
  }
  return {
    version: 1,
    armored,
    headerLength: header.length,
    aead: header.suite.aead,
    chunkSize: header.suite.chunkSize,
    nde: inner ? ndeInfo(inner) : null,
    recipients: header.stanzas.map((s) => ({
      type: s.type,
      keyIdHint: s.args.length === 1 && /^[0-9a-f]{8}$/.test(s.args[0]!) ? s.args[0] : undefined,
      bodyLength: s.body.length,
    })),
    signer: header.signer ? { ...signerReport(header.signer), trailerLength: header.signer.trailerLength } : null,
    he: header.he ? { metadataLength: header.he.metadata.length, fields } : null,
    sizes,
  };
}

export { parseHeader };
