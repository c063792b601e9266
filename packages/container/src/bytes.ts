// Big-endian byte reader/writer for the binary header. The reader checks every length against the
// bytes that are actually there before it slices, so a forged length cannot make it allocate.
import { fail } from './errors.js';

/** @internal Growable writer. */
export class ByteWriter {
  #parts: Uint8Array[] = [];
  #length = 0;
  get length(): number {
    return this.#length;
  }
  bytes(b: Uint8Array): this {
    this.#parts.push(b);
    this.#length += b.length;
    return this;
  }
  u8(n: number): this {
    return this.bytes(Uint8Array.of(n));
  }
  u16(n: number): this {
    return this.bytes(Uint8Array.of(n >>> 8, n & 0xff));
  }
  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return this.bytes(b);
  }
  finish(): Uint8Array {
    return concatBytes(this.#parts, this.#length);
  }
}

/** @internal Bounded reader over one buffer. */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly what: string;
  constructor(buf: Uint8Array, what: string, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.what = what;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  need(n: number): void {
    if (n > this.remaining) fail('ERR_FORMAT_TRUNCATED', `${this.what}: needs ${n} more bytes, has ${this.remaining}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getUint32(0);
    this.pos += 4;
    return v;
  }
  /** Returns a view (no copy); callers that keep it past the buffer's life must copy. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  done(): void {
    if (this.pos !== this.end) fail('ERR_FORMAT_NONCANONICAL', `${this.what}: ${this.end - this.pos} unexpected trailing bytes`);
  }
}

/** @internal A real copy of `b` (on a Node Buffer, `slice()` is a view of the caller's memory). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(b);
}

/** @internal */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const len = total ?? parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** @internal */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** @internal Strict UTF-8 decode: invalid sequences are a format error, never U+FFFD. */
export function fromUtf8(b: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(b);
  } catch {
    return fail('ERR_FORMAT_NONCANONICAL', `${what}: invalid UTF-8`);
  }
}
