// Internal byte helpers: input checks with precise messages, randomness, constant-time equality.
import { equalBytes } from '@noble/ciphers/utils.js';
import { NqcPqlError } from './errors.js';

/** Throws ERR_PQL_INVALID_INPUT unless `value` is a Uint8Array (of `length`, when given). */
export function _checkBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `"${name}" expected Uint8Array, got ${_typeName(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new NqcPqlError(
      'ERR_PQL_INVALID_INPUT',
      `"${name}" expected Uint8Array of length ${length}, got length=${value.length}`,
    );
  }
  return value;
}

function _typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** CSPRNG bytes from Web Crypto (browsers and Node >= 20 both expose `globalThis.crypto`). */
export function _randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues refuses more than 65536 bytes per call; we never ask for that much.
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** Constant-time equality for equal-length inputs (length itself is not secret). */
export function _equal(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
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

const enc = new TextEncoder();
/** UTF-8 encode (labels are ASCII). */
export function _utf8(s: string): Uint8Array {
  return enc.encode(s);
}

export function _hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Best-effort wipe of secret material held in JS memory (the GC may have copied it). */
export function _wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}
