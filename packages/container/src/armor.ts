// ASCII armor (FORMAT.md section 9): PEM-style, strict. Canonical base64 (RFC 4648 section 4, padded),
// 64 characters per line, the last line 1-64; exact BEGIN/END lines. Tolerated: CRLF line endings and
// whitespace before the BEGIN line and after the END line. Nothing else.
import { fail } from './errors.js';

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

function b64encode(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return s;
}

/** Strict decode of one armor line (ASCII bytes). Rejects bad characters, bad padding, non-zero pad bits. */
function b64decodeLine(line: Uint8Array): Uint8Array {
  if (line.length % 4 !== 0) fail('ERR_FORMAT_ARMOR', 'armor line length is not a multiple of 4');
  let pad = 0;
  if (line.length && line[line.length - 1] === 0x3d) pad = line[line.length - 2] === 0x3d ? 2 : 1;
  const out = new Uint8Array((line.length / 4) * 3 - pad);
  let o = 0;
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
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function asciiEquals(line: Uint8Array, s: string): boolean {
  if (line.length !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (line[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** @internal Incremental strict dearmorer: bounded memory (one line). */
export class Dearmorer {
  #state: 'begin' | 'body' | 'end' = 'begin';
  #line: number[] = [];
  #lines = 0;
  #closed = false; // a short or padded line was seen: only END may follow

  /** Feeds armored bytes; returns the decoded binary pieces. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === 0x0a) {
        this.#processLine(Uint8Array.from(this.#line), out);
        this.#line.length = 0;
      } else {
        if (this.#line.length >= MAX_LINE) fail('ERR_FORMAT_ARMOR', 'armor line too long');
        this.#line.push(c);
      }
    }
    return out;
  }

  /** Ends the input; throws unless a complete armor block was read. */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.#line.length) this.#processLine(Uint8Array.from(this.#line), out);
    this.#line.length = 0;
    if (this.#state !== 'end') fail('ERR_FORMAT_ARMOR', 'armor is truncated (no END line)');
    return out;
  }

  #processLine(raw: Uint8Array, out: Uint8Array[]): void {
    if (this.#state === 'begin' || this.#state === 'end') {
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
    const decoded = b64decodeLine(line);
    if (line.length < ARMOR_LINE_LENGTH || decoded.length < BYTES_PER_LINE) this.#closed = true;
    this.#lines++;
    out.push(decoded);
  }
}

/** True when `bytes` (after optional whitespace) starts like an armored envelope. */
export function isArmored(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  return i < bytes.length && bytes[i] === 0x2d;
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
  const lines = [ARMOR_BEGIN];
  for (let i = 0; i < envelope.length; i += BYTES_PER_LINE) lines.push(b64encode(envelope.subarray(i, i + BYTES_PER_LINE)));
  lines.push(ARMOR_END, '');
  return lines.join('\n');
}

/**
 * Strictly decodes an armored envelope (string or its ASCII bytes).
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` on anything but canonical armor (CRLF and surrounding
 *   whitespace are tolerated)
 */
export function dearmor(text: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof text === 'string') {
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) fail('ERR_FORMAT_ARMOR', 'non-ASCII character in armor');
      bytes[i] = c;
    }
  } else bytes = text;
  const d = new Dearmorer();
  const parts = [...d.push(bytes), ...d.finish()];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
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
      let text = '';
      for (let i = 0; i < whole; i += BYTES_PER_LINE) text += b64encode(all.subarray(i, i + BYTES_PER_LINE)) + '\n';
      if (text) controller.enqueue(enc.encode(text));
      pending = all.slice(whole);
    },
    flush(controller) {
      if (!any) fail('ERR_FORMAT_INVALID_ARGUMENT', 'cannot armor an empty input');
      const tail = pending.length ? b64encode(pending) + '\n' : '';
      controller.enqueue(enc.encode(tail + ARMOR_END + '\n'));
    },
  });
}
