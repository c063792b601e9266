/**
 * Small encoders for the JSON API: base64 with strict checking, hex excerpts, ids.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { NqcCloudError } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 to bytes (a copy). @throws NqcCloudError `ERR_CLOUD_BAD_REQUEST` */
export function fromBase64(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || text.length === 0 || !BASE64.test(text)) {
    throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `"${what}" expected non-empty standard base64`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Bytes to standard base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The first `n` bytes as hex (what the page shows of a ciphertext). */
export function hexExcerpt(bytes: Uint8Array, n = 48): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(n, bytes.byteLength)).toString('hex');
}

/** A fresh random id (16 hex chars). */
export function newId(): string {
  return randomBytes(8).toString('hex');
}
