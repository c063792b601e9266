// ASCII armor (FORMAT.md section 9): PEM-style, strict. Canonical base64 (RFC 4648 section 4, padded),
// 64 characters per line, the last line 1-64; exact BEGIN/END lines. Tolerated: CRLF line endings and
// whitespace before the BEGIN line (at most LIMITS.maxLeadingWhitespace bytes) and after the END line.
// Nothing else. EncodingSniffer is the one armor-or-binary rule every reader uses.
import { concatBytes } from './bytes.js';
import { fail } from './errors.js';
import { LIMITS } from './limits.js';

/** The BEGIN line of an armored envelope. */
export const ARMOR_BEGIN = '-----BEGIN NQC ENVELOPE-----';
/** The END line of an armored envelope. */
export const ARMOR_END = '-----END NQC ENVELOPE-----';
/** Base64 characters per full line. */
export const ARMOR_LINE_LENGTH = 64;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const MAX_LINE = 1024;
const BYTES_PER_LINE = (ARMOR_LINE_LENGTH / 4) * 3;

const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const ASCII = new TextDecoder('latin1');

/** Writes the base64 of `b` as ASCII into `out` at `o`; returns the new offset. */
function b64encodeInto(b: Uint8Array, out: Uint8Array, o: number): number {
  const A = ALPHABET_CODES;
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out[o++] = A[n >> 18]!;
    out[o++] = A[(n >> 12) & 63]!;
    out[o++] = A[(n >> 6) & 63]!;
    out[o++] = A[n & 63]!;
  }
  const rest = b.length - i;
  if (rest) {
    const n = (b[i]! << 16) | (rest === 2 ? b[i + 1]! << 8 : 0);
    out[o++] = A[n >> 18]!;
    out[o++] = A[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? A[(n >> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
  return o;
}

/** Armored body lines (each ending in LF) for `b`, as ASCII bytes. */
function bodyLines(b: Uint8Array): Uint8Array {
  const lines = Math.ceil(b.length / BYTES_PER_LINE);
  const out = new Uint8Array(Math.ceil(b.length / 3) * 4 + lines);
  let o = 0;
  for (let i = 0; i < b.length; i += BYTES_PER_LINE) {
    o = b64encodeInto(b.subarray(i, i + BYTES_PER_LINE), out, o);
    out[o++] = 0x0a;
  }
  return out.subarray(0, o);
}

/** Strict decode of one armor line (ASCII bytes). Rejects bad characters, bad padding, non-zero pad bits. */
function b64decodeLineInto(line: Uint8Array, out: Uint8Array, o: number): number {
  if (line.length % 4 !== 0) fail('ERR_FORMAT_ARMOR', 'armor line length is not a multiple of 4');
  let pad = 0;
  if (line.length && line[line.length - 1] === 0x3d) pad = line[line.length - 2] === 0x3d ? 2 : 1;
  for (let i = 0; i < line.length; i += 4) {
    const last = i + 4 === line.length;
    const c0 = DECODE[line[i]!]!;
    const c1 = DECODE[line[i + 1]!]!;
    const c2 = last && pad === 2 ? 0 : DECODE[line[i + 2]!]!;
    const c3 = last && pad >= 1 ? 0 : DECODE[line[i + 3]!]!;
    if ((c0 | c1 | c2 | c3) < 0) fail('ERR_FORMAT_ARMOR', 'invalid base64 character in armor');
    const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (last && pad === 2) {
      if (n & 0xffff) fail('ERR_FORMAT_ARMOR', 'non-canonical base64 padding bits');
      out[o++] = n >> 16;
    } else if (last && pad === 1) {
      if (n & 0xff) fail('ERR_FORMAT_ARMOR', 'non-canonical base64 padding bits');
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 0xff;
    } else {
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 0xff;
      out[o++] = n & 0xff;
    }
  }
  return o;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function asciiEquals(line: Uint8Array, s: string): boolean {
  if (line.length !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (line[i] !== s.charCodeAt(i)) return false;
  return true;
}

interface Sink {
  buf: Uint8Array;
  off: number;
}

/**
 * Incremental strict dearmorer (FORMAT.md section 9) in bounded memory (one line of at most 1 KiB):
 * `push` armored bytes as they arrive, get the decoded binary pieces back; `finish` at the end.
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` on anything but canonical armor
 * @example
 * ```ts
 * const d = new Dearmorer();
 * for await (const piece of text) for (const bin of d.push(piece)) handle(bin);
 * for (const bin of d.finish()) handle(bin);
 * ```
 */
export class Dearmorer {
  #state: 'begin' | 'body' | 'end' = 'begin';
  #line: number[] = [];
  #lines = 0;
  #closed = false; // a short or padded line was seen: only END may follow
  #leading = 0; // whitespace bytes before BEGIN (capped: FORMAT.md section 9)

  /** Feeds armored bytes; returns the decoded binary pieces. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Sink = { buf: new Uint8Array(Math.ceil(((bytes.length + this.#line.length) * 3) / 4) + 3), off: 0 };
    let start = 0;
    for (;;) {
      if (this.#state === 'begin' && this.#line.length === 0) {
        // Whitespace before BEGIN (line breaks included) is counted against its own limit, never
        // buffered as part of a line: 1024 spaces then BEGIN on one line is valid armor.
        let i = start;
        while (i < bytes.length && isSpace(bytes[i]!)) i++;
        this.#leading += i - start;
        if (this.#leading > LIMITS.maxLeadingWhitespace) failLeadingWhitespace();
        start = i;
        if (start === bytes.length) return [];
      }
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      if (this.#line.length + (end - start) > MAX_LINE) fail('ERR_FORMAT_ARMOR', 'armor line too long');
      if (nl < 0) {
        for (let i = start; i < end; i++) this.#line.push(bytes[i]!);
        return out.off ? [out.buf.subarray(0, out.off)] : [];
      }
      if (this.#line.length) {
        for (let i = start; i < end; i++) this.#line.push(bytes[i]!);
        this.#processLine(Uint8Array.from(this.#line), out);
        this.#line.length = 0;
      } else this.#processLine(bytes.subarray(start, end), out);
      start = nl + 1;
    }
  }

  /** Ends the input; throws unless a complete armor block was read. */
  finish(): Uint8Array[] {
    const out: Sink = { buf: new Uint8Array(Math.ceil((this.#line.length * 3) / 4) + 3), off: 0 };
    if (this.#line.length) this.#processLine(Uint8Array.from(this.#line), out);
    this.#line.length = 0;
    if (this.#state !== 'end') fail('ERR_FORMAT_ARMOR', 'armor is truncated (no END line)');
    return out.off ? [out.buf.subarray(0, out.off)] : [];
  }

  #processLine(raw: Uint8Array, out: Sink): void {
    if (this.#state === 'begin' || this.#state === 'end') {
      // In 'begin', push() has already consumed the whitespace before the line: a === 0 there.
      let a = 0;
      let b = raw.length;
      while (a < b && isSpace(raw[a]!)) a++;
      while (b > a && isSpace(raw[b - 1]!)) b--;
      if (a === b) return;
      if (this.#state === 'end') fail('ERR_FORMAT_ARMOR', 'data after the armor END line');
      if (!asciiEquals(raw.subarray(a, b), ARMOR_BEGIN)) fail('ERR_FORMAT_ARMOR', 'invalid armor BEGIN line');
      // Only whitespace may precede BEGIN on its line; its end may carry CR but nothing else.
      if (b !== raw.length && !(b === raw.length - 1 && raw[b] === 0x0d)) fail('ERR_FORMAT_ARMOR', 'invalid armor BEGIN line');
      this.#state = 'body';
      return;
    }
    const line = raw.length && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
    if (asciiEquals(line, ARMOR_END)) {
      if (this.#lines === 0) fail('ERR_FORMAT_ARMOR', 'empty armor body');
      this.#state = 'end';
      return;
    }
    if (this.#closed) fail('ERR_FORMAT_ARMOR', 'armor line after the final (short or padded) line');
    if (line.length === 0 || line.length > ARMOR_LINE_LENGTH) fail('ERR_FORMAT_ARMOR', `armor lines must be 1-${ARMOR_LINE_LENGTH} characters`);
    const before = out.off;
    out.off = b64decodeLineInto(line, out.buf, out.off);
    if (line.length < ARMOR_LINE_LENGTH || out.off - before < BYTES_PER_LINE) this.#closed = true;
    this.#lines++;
  }
}

function failLeadingWhitespace(): never {
  fail('ERR_FORMAT_ARMOR', `more than ${LIMITS.maxLeadingWhitespace} bytes of whitespace before the armor BEGIN line`);
}

/** How an envelope is encoded: ASCII armor or binary. */
export type EnvelopeEncoding = 'armor' | 'binary';

/**
 * Detects an envelope's encoding from its first bytes, fed in any pieces: the one rule of FORMAT.md
 * section 9 that every reader (decrypt, inspect, file and stream paths) uses. Armor when the first
 * byte that is not whitespace (space, tab, CR, LF) is `-`, binary otherwise; more than
 * `LIMITS.maxLeadingWhitespace` whitespace bytes first is an error whatever follows. Whitespace before a
 * binary envelope is not skipped: the header parser then reports `ERR_FORMAT_MAGIC`.
 * @example
 * ```ts
 * const sniffer = new EncodingSniffer();
 * for await (const piece of input) if (sniffer.push(piece)) break; // 'armor' | 'binary'
 * ```
 */
export class EncodingSniffer {
  #whitespace = 0;
  #encoding: EnvelopeEncoding | undefined;

  /** The encoding, once a byte other than whitespace was seen. */
  get encoding(): EnvelopeEncoding | undefined {
    return this.#encoding;
  }

  /** Whitespace bytes seen before the first other byte. */
  get whitespace(): number {
    return this.#whitespace;
  }

  /**
   * Feeds the input's next bytes (ignored once the encoding is known).
   * @returns the encoding, or undefined while only whitespace has been seen
   * @throws NqcFormatError `ERR_FORMAT_ARMOR` after more than `LIMITS.maxLeadingWhitespace` whitespace bytes
   */
  push(bytes: Uint8Array): EnvelopeEncoding | undefined {
    if (this.#encoding) return this.#encoding;
    let i = 0;
    while (i < bytes.length && isSpace(bytes[i]!)) i++;
    this.#whitespace += i;
    if (this.#whitespace > LIMITS.maxLeadingWhitespace) failLeadingWhitespace();
    if (i < bytes.length) this.#encoding = bytes[i] === 0x2d ? 'armor' : 'binary';
    return this.#encoding;
  }
}

/**
 * The encoding of the envelope whose first bytes are `bytes` ({@link EncodingSniffer} in one call).
 * @returns 'armor', 'binary', or undefined when `bytes` is empty or only whitespace
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` after more than `LIMITS.maxLeadingWhitespace` whitespace bytes
 */
export function detectEncoding(bytes: Uint8Array): EnvelopeEncoding | undefined {
  return new EncodingSniffer().push(bytes);
}

/**
 * True when `bytes` starts like an armored envelope ({@link detectEncoding} is `'armor'`).
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` after more than `LIMITS.maxLeadingWhitespace` whitespace bytes
 */
export function isArmored(bytes: Uint8Array): boolean {
  return detectEncoding(bytes) === 'armor';
}

/**
 * Armors an envelope: BEGIN line, base64 in 64-character lines, END line, each ending in LF.
 * @example
 * ```ts
 * const text = armor(envelope); // paste into mail
 * ```
 */
export function armor(envelope: Uint8Array): string {
  if (!(envelope instanceof Uint8Array) || envelope.length === 0) fail('ERR_FORMAT_INVALID_ARGUMENT', '"envelope" expected a non-empty Uint8Array');
  return `${ARMOR_BEGIN}\n${ASCII.decode(bodyLines(envelope))}${ARMOR_END}\n`;
}

/**
 * Strictly decodes an armored envelope (string or its ASCII bytes).
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` on anything but canonical armor (CRLF and surrounding
 *   whitespace are tolerated)
 */
export function dearmor(text: string | Uint8Array): Uint8Array {
  // Non-ASCII characters become bytes >= 0x80, which no armor line accepts.
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  if (!(bytes instanceof Uint8Array)) fail('ERR_FORMAT_INVALID_ARGUMENT', '"text" expected string or Uint8Array');
  const d = new Dearmorer();
  return concatBytes([...d.push(bytes), ...d.finish()]);
}

/** A Web Stream that armors binary input (bounded memory). */
export function createArmorStream(): TransformStream<Uint8Array, Uint8Array> {
  const enc = new TextEncoder();
  let pending = new Uint8Array(0);
  let any = false;
  return new TransformStream({
    start(controller) {
      controller.enqueue(enc.encode(ARMOR_BEGIN + '\n'));
    },
    transform(chunk, controller) {
      if (chunk.length) any = true;
      const all = new Uint8Array(pending.length + chunk.length);
      all.set(pending);
      all.set(chunk, pending.length);
      const whole = all.length - (all.length % BYTES_PER_LINE);
      if (whole) controller.enqueue(bodyLines(all.subarray(0, whole)));
      pending = all.slice(whole);
    },
    flush(controller) {
      if (!any) fail('ERR_FORMAT_INVALID_ARGUMENT', 'cannot armor an empty input');
      if (pending.length) controller.enqueue(bodyLines(pending));
      controller.enqueue(enc.encode(ARMOR_END + '\n'));
    },
  });
}
