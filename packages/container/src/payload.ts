// Payload framing (FORMAT.md section 6): STREAM chunks sealed under the payload key, nonce =
// 11-byte big-endian chunk counter || 1-byte last-chunk flag; optional inner layer applied first.
import { ByteWriter, utf8 } from './bytes.js';
import { fail } from './errors.js';
import { LABELS } from './keys.js';
import { TAG_LENGTH } from './header.js';
import type { ParsedHeader, SignerInfo } from './header.js';
import type { Sha256Hasher } from './provider.js';

/**
 * An inner, length-preserving, per-chunk transform applied before the AEAD (the NDE layer). Chunks are
 * passed in batches (up to {@link INNER_BATCH} chunks and {@link INNER_BATCH_BYTES} bytes at a time, and
 * at least one chunk) so an implementation can run them together.
 * `index` is the chunk counter; each chunk must be transformable on its own (random access).
 */
export interface InnerLayer {
  /** 32-byte id named in the header (for NDE: SHA-256 of the model file). */
  readonly id: Uint8Array;
  /** Transforms plaintext chunks; must return one array per item, each of the same length. */
  encryptChunks(key: Uint8Array, salt: Uint8Array, items: { index: number; data: Uint8Array }[]): Promise<Uint8Array[]>;
  /** Inverse of `encryptChunks`. */
  decryptChunks(key: Uint8Array, salt: Uint8Array, items: { index: number; data: Uint8Array }[]): Promise<Uint8Array[]>;
}

/** Most chunks handed to an {@link InnerLayer} per call. */
export const INNER_BATCH = 16;

/**
 * Most plaintext bytes handed to an {@link InnerLayer} per call (one chunk when a chunk is larger).
 * The batch is bounded in bytes, not only in chunks, because the chunk size is the sender's choice
 * (up to 16 MiB): a count alone would let an envelope make its reader hold 16 x 16 MiB per batch.
 */
export const INNER_BATCH_BYTES = 1024 * 1024;

/** @internal Chunks per inner-layer call for `chunkSize`: as many as fit in INNER_BATCH_BYTES, 1..INNER_BATCH. */
export function innerBatchChunks(chunkSize: number): number {
  return Math.max(1, Math.min(INNER_BATCH, Math.floor(INNER_BATCH_BYTES / chunkSize)));
}

/** @internal Checks an inner layer's output shape (it is code we do not control). */
export function checkInnerOutput(out: unknown, items: { data: Uint8Array }[]): Uint8Array[] {
  if (!Array.isArray(out) || out.length !== items.length) fail('ERR_FORMAT_INNER_LAYER', 'inner layer returned the wrong number of chunks');
  out.forEach((o, i) => {
    if (!(o instanceof Uint8Array) || o.length !== items[i]!.data.length) fail('ERR_FORMAT_INNER_LAYER', 'inner layer changed a chunk length');
  });
  return out as Uint8Array[];
}

/** The 12-byte STREAM nonce of chunk `index`: 11-byte big-endian counter, then 0x01 if last else 0x00. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) fail('ERR_FORMAT_INVALID_ARGUMENT', `chunk index ${index} out of range`);
  const n = new Uint8Array(12);
  const dv = new DataView(n.buffer);
  dv.setUint32(3, Math.floor(index / 2 ** 32));
  dv.setUint32(7, index >>> 0);
  n[11] = last ? 1 : 0;
  return n;
}

/** Layout of a payload of `payloadLength` bytes. */
export interface PayloadLayout {
  /** Number of chunks (>= 1). */
  readonly chunkCount: number;
  /** Ciphertext length of the final chunk (16 .. chunkSize + 16). */
  readonly lastLength: number;
  /** Plaintext bytes in the whole payload. */
  readonly plaintextLength: number;
}

/**
 * Computes the chunk layout from the payload length alone, rejecting impossible sizes before any
 * cryptography: `ERR_FORMAT_TRUNCATED` when the final chunk is shorter than a tag, and
 * `ERR_FORMAT_EMPTY_LAST_CHUNK` when a payload of several chunks ends with an empty one.
 */
export function payloadLayout(payloadLength: number, chunkSize: number): PayloadLayout {
  const full = chunkSize + TAG_LENGTH;
  if (payloadLength < TAG_LENGTH) fail('ERR_FORMAT_TRUNCATED', 'payload shorter than one chunk tag');
  const chunkCount = Math.ceil(payloadLength / full);
  const lastLength = payloadLength - (chunkCount - 1) * full;
  if (lastLength < TAG_LENGTH) fail('ERR_FORMAT_TRUNCATED', 'final chunk shorter than a tag');
  if (lastLength === TAG_LENGTH && chunkCount > 1) fail('ERR_FORMAT_EMPTY_LAST_CHUNK', 'final chunk is empty');
  return { chunkCount, lastLength, plaintextLength: payloadLength - chunkCount * TAG_LENGTH };
}

/**
 * A signer: the container computes the transcript (FORMAT.md section 8) and calls `sign` once, after
 * the last chunk. `maxSignatureLength` fixes the trailer size up front so readers can find it.
 */
export interface Signer {
  /** Algorithm id written in the header, e.g. `ml-dsa-65`. */
  readonly alg: string;
  /** Public key or key id written in the header (1-8192 bytes). */
  readonly key: Uint8Array;
  /** Largest signature `sign` can return (1-65532 bytes). */
  readonly maxSignatureLength: number;
  /** Signs the 32-byte transcript. */
  sign(transcript: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Verifies a signature over a transcript for the signer named in the header. */
export type SignatureVerifier = (signer: SignerInfo, transcript: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/** @internal transcript = SHA-256(label || u32(len(signed)) || signed || SHA-256(payload)). */
export function signatureTranscript(newHash: () => Sha256Hasher, header: Pick<ParsedHeader, 'signedBytes'>, payloadHash: Uint8Array): Uint8Array {
  const h = newHash();
  h.update(utf8(LABELS.signature));
  h.update(new ByteWriter().u32(header.signedBytes.length).finish());
  h.update(header.signedBytes);
  h.update(payloadHash);
  return h.digest();
}

/** @internal Encodes the fixed-size trailer: u32 length, signature, zero padding. */
export function encodeTrailer(signature: Uint8Array, trailerLength: number): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length < 1 || signature.length > trailerLength - 4) {
    fail('ERR_FORMAT_INVALID_ARGUMENT', `signature must be 1-${trailerLength - 4} bytes`);
  }
  const out = new Uint8Array(trailerLength);
  new DataView(out.buffer).setUint32(0, signature.length);
  out.set(signature, 4);
  return out;
}

/** @internal Decodes the trailer strictly (length in range, padding all zero). */
export function decodeTrailer(trailer: Uint8Array): Uint8Array {
  const len = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0);
  if (len < 1 || len > trailer.length - 4) fail('ERR_FORMAT_SIGNATURE_ENCODING', `signature length ${len} out of range`);
  for (let i = 4 + len; i < trailer.length; i++) {
    if (trailer[i] !== 0) fail('ERR_FORMAT_SIGNATURE_ENCODING', 'signature padding is not zero');
  }
  return trailer.slice(4, 4 + len);
}
