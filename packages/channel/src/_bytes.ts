// Internal byte helpers: input checks, randomness, constant-time equality, QUIC varints, a reader.
import { equalBytes } from '@noble/ciphers/utils.js';
import { NqcChannelError } from './errors.js';

/** Throws ERR_CHANNEL_INVALID_INPUT unless `value` is a Uint8Array (of `length`, when given). */
export function _checkBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"${name}" expected Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"${name}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
  return value;
}

/** CSPRNG bytes from Web Crypto (browsers and Node >= 20 both expose `globalThis.crypto`). */
export function _randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** Constant-time equality (the length is not secret). */
export function _equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalBytes(a, b);
}

export function _concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
export function _utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
/** Strict UTF-8 decode; throws ERR_CHANNEL_MALFORMED on invalid sequences. */
export function _fromUtf8(b: Uint8Array, what: string): string {
  try {
    return decoder.decode(b);
  } catch {
    throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${what} is not valid UTF-8`);
  }
}

export function _u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function _u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** Largest value a QUIC varint holds that is also a safe JS integer. */
const MAX_VARINT = Number.MAX_SAFE_INTEGER;

/** QUIC variable-length integer (RFC 9000 Section 16), shortest encoding. */
export function _varint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_VARINT) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `varint out of range: ${n}`);
  }
  if (n < 0x40) return Uint8Array.of(n);
  if (n < 0x4000) return Uint8Array.of(0x40 | (n >>> 8), n & 0xff);
  if (n < 0x40000000) return Uint8Array.of(0x80 | (n >>> 24), (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n) | (3n << 62n));
  return out;
}

/** Length-prefixed (QUIC varint) bytes. */
export function _lp(b: Uint8Array): Uint8Array {
  return _concat(_varint(b.length), b);
}

/** A bounds-checked cursor over bytes; every read past the end is ERR_CHANNEL_MALFORMED. */
export class _Reader {
  readonly #b: Uint8Array;
  #o = 0;
  readonly #what: string;
  constructor(b: Uint8Array, what: string) {
    this.#b = b;
    this.#what = what;
  }
  get offset(): number {
    return this.#o;
  }
  get remaining(): number {
    return this.#b.length - this.#o;
  }
  #need(n: number): void {
    if (n > this.remaining) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${this.#what} is truncated`);
  }
  u8(): number {
    this.#need(1);
    return this.#b[this.#o++]!;
  }
  u16(): number {
    this.#need(2);
    const v = (this.#b[this.#o]! << 8) | this.#b[this.#o + 1]!;
    this.#o += 2;
    return v;
  }
  u64(): number {
    this.#need(8);
    const v = new DataView(this.#b.buffer, this.#b.byteOffset + this.#o, 8).getBigUint64(0);
    this.#o += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${this.#what} has an out-of-range integer`);
    return Number(v);
  }
  /** A copy of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#b.slice(this.#o, this.#o + n);
    this.#o += n;
    return out;
  }
  /** A QUIC varint. Non-shortest encodings are accepted only when `canonical` is false. */
  varint(canonical = true): number {
    const first = this.u8();
    const len = 1 << (first >>> 6);
    this.#need(len - 1);
    let v = BigInt(first & 0x3f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(this.#b[this.#o++]!);
    if (v > BigInt(MAX_VARINT)) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `${this.#what} has a length beyond 2^53`);
    const n = Number(v);
    if (canonical && _varint(n).length !== len) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${this.#what} has a non-canonical varint`);
    return n;
  }
  /** Varint length then that many bytes, refusing lengths above `max` before allocating. */
  lpBytes(max: number, field: string): Uint8Array {
    const n = this.varint();
    if (n > max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `${field} is ${n} bytes, limit ${max}`);
    return this.bytes(n);
  }
  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${this.#what} has ${this.remaining} trailing bytes`);
  }
}

/** Base64 (standard alphabet, padded), browser-safe. */
export function _base64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Strict base64 decode; ERR_CHANNEL_MALFORMED on bad input. */
export function _fromBase64(s: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${what} is not canonical base64`);
  }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  if (_base64(out) !== s) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `${what} is not canonical base64`);
  return out;
}

export function _hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
