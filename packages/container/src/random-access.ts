// Random access (FORMAT.md section 6.3): chunk k of a seekable envelope is at a computable offset, so it
// can be read and verified (tag and position, through the nonce) without reading the chunks before it.
import { decryptFailed, fail } from './errors.js';
import { parseHeader, parsePrelude, PRELUDE_LENGTH, TAG_LENGTH, type ParsedHeader } from './header.js';
import { checkInnerOutput, chunkNonce, payloadLayout } from './payload.js';
import { nobleProvider, type CryptoProvider } from './provider.js';
import { openHeader, type DecryptOptions } from './stream.js';

/** A seekable byte source: a file, a Blob, an HTTP range reader. */
export interface SeekableSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Returns exactly `length` bytes at `offset` (fewer only at end of source). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** An opened envelope for random access. */
export interface RandomAccessEnvelope {
  /** The authenticated header. */
  readonly header: ParsedHeader;
  /** Number of payload chunks (>= 1). */
  readonly chunkCount: number;
  /** Plaintext bytes per non-final chunk. */
  readonly chunkSize: number;
  /** Plaintext bytes of the whole payload. */
  readonly plaintextSize: number;
  /** Decrypts and verifies chunk `k` (0-based), reading only that chunk. */
  readChunk(k: number): Promise<Uint8Array>;
}

/** Options of {@link openRandomAccess}: like decryption, without signature verification. */
export type RandomAccessOptions = Pick<DecryptOptions, 'unwrap' | 'inner'> & { readonly provider?: CryptoProvider };

async function readExact(src: SeekableSource, offset: number, length: number): Promise<Uint8Array> {
  const b = await src.read(offset, length);
  if (!(b instanceof Uint8Array) || b.length !== length) fail('ERR_FORMAT_TRUNCATED', `source returned ${b?.length} of ${length} bytes at ${offset}`);
  return b;
}

/**
 * Opens a seekable envelope for random access: reads and authenticates the header only. A signature,
 * if present, is NOT verified (that needs the whole payload); use the stream for that.
 *
 * @throws NqcFormatError structural codes, `ERR_FORMAT_DECRYPT_FAILED`
 * @example
 * ```ts
 * const env = await openRandomAccess(await fileSource('big.nqc'), { unwrap });
 * const chunk7 = await env.readChunk(7);
 * ```
 */
export async function openRandomAccess(source: SeekableSource, opts: RandomAccessOptions): Promise<RandomAccessEnvelope> {
  if (!Number.isSafeInteger(source?.size) || source.size < 0) fail('ERR_FORMAT_INVALID_ARGUMENT', '"source.size" must be a non-negative integer');
  if (source.size < PRELUDE_LENGTH) {
    parsePrelude(await readExact(source, 0, source.size));
  }
  const headerLength = parsePrelude(await readExact(source, 0, PRELUDE_LENGTH));
  if (source.size < headerLength) fail('ERR_FORMAT_TRUNCATED', 'envelope ends inside the header');
  const header = parseHeader(await readExact(source, 0, headerLength));
  const trailer = header.signer?.trailerLength ?? 0;
  const layout = payloadLayout(source.size - headerLength - trailer, header.suite.chunkSize);
  const { keys, inner } = await openHeader(header, opts);
  const aead = (opts.provider ?? nobleProvider).aead(header.suite.aead, keys.payload);
  const full = header.suite.chunkSize + TAG_LENGTH;
  return {
    header,
    chunkCount: layout.chunkCount,
    chunkSize: header.suite.chunkSize,
    plaintextSize: layout.plaintextLength,
    async readChunk(k: number): Promise<Uint8Array> {
      if (!Number.isSafeInteger(k) || k < 0 || k >= layout.chunkCount) fail('ERR_FORMAT_CHUNK_INDEX', `chunk ${k} out of range 0-${layout.chunkCount - 1}`);
      const last = k === layout.chunkCount - 1;
      const ct = await readExact(source, headerLength + k * full, last ? layout.lastLength : full);
      const pt = aead.open(chunkNonce(k, last), ct);
      if (pt === null) decryptFailed();
      if (!inner) return pt;
      const items = [{ index: k, data: pt }];
      return checkInnerOutput(await inner.decryptChunks(keys.inner, header.suite.salt, items), items)[0]!;
    },
  };
}

/**
 * Decrypts chunk `k` of a seekable envelope, reading only the header and that chunk.
 * @see openRandomAccess
 */
export async function openChunk(source: SeekableSource, k: number, opts: RandomAccessOptions): Promise<Uint8Array> {
  return (await openRandomAccess(source, opts)).readChunk(k);
}

/** A {@link SeekableSource} over bytes in memory. */
export function bytesSource(bytes: Uint8Array): SeekableSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}
