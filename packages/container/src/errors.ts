/**
 * Stable error codes of `@nqc/container`. Codes never change meaning once published; messages may be
 * reworded. Every structural code is raised before any key is used. `ERR_FORMAT_DECRYPT_FAILED` is the
 * single code for every failure that involves a key (header MAC, no stanza unwrapped, chunk tag,
 * truncation or extension detected by the AEAD), so a caller cannot learn which check failed.
 */
export type NqcFormatErrorCode =
  | 'ERR_FORMAT_INVALID_ARGUMENT'
  | 'ERR_FORMAT_MAGIC'
  | 'ERR_FORMAT_VERSION'
  | 'ERR_FORMAT_TRUNCATED'
  | 'ERR_FORMAT_LIMIT'
  | 'ERR_FORMAT_NONCANONICAL'
  | 'ERR_FORMAT_UNKNOWN_SECTION'
  | 'ERR_FORMAT_SECTION_ORDER'
  | 'ERR_FORMAT_MISSING_SECTION'
  | 'ERR_FORMAT_SUITE'
  | 'ERR_FORMAT_STANZA'
  | 'ERR_FORMAT_HE'
  | 'ERR_FORMAT_SIGNER'
  | 'ERR_FORMAT_EMPTY_LAST_CHUNK'
  | 'ERR_FORMAT_SIGNATURE_ENCODING'
  | 'ERR_FORMAT_SIGNATURE_INVALID'
  | 'ERR_FORMAT_SIGNATURE_REQUIRED'
  | 'ERR_FORMAT_INNER_LAYER'
  | 'ERR_FORMAT_CHUNK_INDEX'
  | 'ERR_FORMAT_ARMOR'
  | 'ERR_FORMAT_DECRYPT_FAILED';

/** The one message used for every key-dependent failure (see {@link NqcFormatErrorCode}). */
export const DECRYPT_FAILED_MESSAGE = 'could not decrypt';

/**
 * The only error class thrown by `@nqc/container`. Branch on `code`, never on `message`.
 *
 * @example
 * ```ts
 * try { await decryptEnvelope(bytes, { unwrap }); }
 * catch (e) { if (e instanceof NqcFormatError && e.code === 'ERR_FORMAT_DECRYPT_FAILED') ... }
 * ```
 */
export class NqcFormatError extends Error {
  /** Stable machine-readable code. */
  readonly code: NqcFormatErrorCode;
  constructor(code: NqcFormatErrorCode, message: string) {
    super(message);
    this.name = 'NqcFormatError';
    this.code = code;
  }
}

/** @internal */
export function fail(code: NqcFormatErrorCode, message: string): never {
  throw new NqcFormatError(code, message);
}

/** @internal The generic key-dependent failure. */
export function decryptFailed(): never {
  throw new NqcFormatError('ERR_FORMAT_DECRYPT_FAILED', DECRYPT_FAILED_MESSAGE);
}

/** @internal */
export function checkBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    fail('ERR_FORMAT_INVALID_ARGUMENT', `"${name}" expected Uint8Array, got ${typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    fail('ERR_FORMAT_INVALID_ARGUMENT', `"${name}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
}
