// Small big-endian writer/reader for the canonical formats. Every read is bounds-checked and every
// length is capped by the caller before anything is allocated.
import { fail } from './errors.js';

const utf8enc = new TextEncoder();
const utf8dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** @internal */
export class Writer {
  #chunks: Uint8Array[] = [];
  #len = 0;
  #push(b: Uint8Array): void {
    this.#chunks.push(b);
    this.#len += b.length;
  }
  u8(v: number): this {
    this.#push(Uint8Array.of(v & 0xff));
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v);
    this.#push(b);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    this.#push(b);
    return this;
  }
  i32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v);
    this.#push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v);
    this.#push(b);
    return this;
  }
  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v);
    this.#push(b);
    return this;
  }
  raw(b: Uint8Array): this {
    this.#push(b);
    return this;
  }
  /** A length-prefixed (u16) UTF-8 string. */
  str16(s: string): this {
    const b = utf8enc.encode(s);
    this.u16(b.length);
    return this.raw(b);
  }
  /** A length-prefixed (u32) byte string. */
  bytes32(b: Uint8Array): this {
    this.u32(b.length);
    return this.raw(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.#len);
    let o = 0;
    for (const c of this.#chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** @internal */
export class Reader {
  #b: Uint8Array;
  #dv: DataView;
  #o = 0;
  #what: string;
  constructor(b: Uint8Array, what: string) {
    this.#b = b;
    this.#dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.#what = what;
  }
  #need(n: number): number {
    if (this.#o + n > this.#b.length) fail('ERR_SHE_FORMAT', `${this.#what} is truncated`);
    const o = this.#o;
    this.#o += n;
    return o;
  }
  u8(): number {
    return this.#dv.getUint8(this.#need(1));
  }
  u16(): number {
    return this.#dv.getUint16(this.#need(2));
  }
  u32(): number {
    return this.#dv.getUint32(this.#need(4));
  }
  i32(): number {
    return this.#dv.getInt32(this.#need(4));
  }
  i64(): bigint {
    return this.#dv.getBigInt64(this.#need(8));
  }
  f64(): number {
    return this.#dv.getFloat64(this.#need(8));
  }
  raw(n: number): Uint8Array {
    const o = this.#need(n);
    // A real copy: on a Node Buffer, slice() is a view of the caller's bytes (a key set kept it and wiped it).
    return Uint8Array.prototype.slice.call(this.#b, o, o + n);
  }
  str16(max: number, field: string): string {
    const n = this.u16();
    if (n > max) fail('ERR_SHE_FORMAT', `${this.#what}: ${field} longer than ${max} bytes`);
    try {
      return utf8dec.decode(this.raw(n));
    } catch {
      return fail('ERR_SHE_FORMAT', `${this.#what}: ${field} is not valid UTF-8`);
    }
  }
  bytes32(max: number, field: string): Uint8Array {
    const n = this.u32();
    if (n > max) fail('ERR_SHE_FORMAT', `${this.#what}: ${field} length ${n} exceeds the cap of ${max}`);
    return this.raw(n);
  }
  end(): void {
    if (this.#o !== this.#b.length) fail('ERR_SHE_FORMAT', `${this.#what} has ${this.#b.length - this.#o} trailing bytes`);
  }
}

/** @internal */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** @internal */
export function fromHex(s: string, len: number, what: string): Uint8Array {
  if (typeof s !== 'string' || s.length !== len * 2 || !/^[0-9a-f]*$/.test(s))
    fail('ERR_SHE_INPUT', `"${what}" expected ${len * 2} lowercase hex characters`);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** @internal */
export function utf8Length(s: string): number {
  return utf8enc.encode(s).length;
}

/** @internal */
export function equalBytesCT(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
