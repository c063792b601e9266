/**
 * The one error class of `@nqc/channel`, with stable string codes.
 * @module
 */

/**
 * Stable error codes thrown by `@nqc/channel`. Match on `code`, not on the message: messages may be
 * reworded, codes are part of the public API. Every failure that involves a key (HPKE open, AEAD tag,
 * truncated chunk stream) is `ERR_CHANNEL_DECRYPT_FAILED` with one message, so no oracle leaks.
 */
export type ChannelErrorCode =
  /** An argument had the wrong type, length or range (a programming error in the caller). */
  | 'ERR_CHANNEL_INVALID_INPUT'
  /** A message or field is longer than its cap; refused before allocating. */
  | 'ERR_CHANNEL_LIMIT'
  /** Bytes do not parse: truncated, trailing data, non-canonical, or a malformed field. */
  | 'ERR_CHANNEL_MALFORMED'
  /** The key id or the (KEM, KDF, AEAD) suite of a request is not offered by this gateway. */
  | 'ERR_CHANNEL_UNKNOWN_KEY'
  /** An HPKE or AEAD open failed, or a chunked message was truncated (one generic message). */
  | 'ERR_CHANNEL_DECRYPT_FAILED'
  /** A signed key configuration failed verification under the pinned key. */
  | 'ERR_CHANNEL_BAD_SIGNATURE'
  /** A signed key configuration is not yet valid or has expired. */
  | 'ERR_CHANNEL_EXPIRED'
  /** Client authentication failed: missing, malformed, unknown key, bad signature or stale timestamp. */
  | 'ERR_CHANNEL_AUTH'
  /** An encapsulated request was seen before (strike register), or the register is full. */
  | 'ERR_CHANNEL_REPLAY'
  /** The gateway answered with something that is not an encapsulated response. */
  | 'ERR_CHANNEL_PROTOCOL';

/** The one message used for every key-dependent failure. */
export const DECRYPT_FAILED_MESSAGE = 'could not decrypt';

/**
 * Error thrown by every `@nqc/channel` function. `code` is stable; `message` is short and lowercase
 * and never contains secret material.
 * @example
 * ```ts
 * try { await gateway.handle(body, app) } catch (e) {
 *   if (e instanceof NqcChannelError && e.code === 'ERR_CHANNEL_REPLAY') ...
 * }
 * ```
 */
export class NqcChannelError extends Error {
  /** Stable machine-readable code. */
  readonly code: ChannelErrorCode;
  /**
   * @param code - stable error code
   * @param message - short human-readable description
   * @param options - standard `ErrorOptions` (e.g. `cause`)
   */
  constructor(code: ChannelErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NqcChannelError';
    this.code = code;
  }
}

/** The generic decryption failure. */
export function _decryptFailed(): NqcChannelError {
  return new NqcChannelError('ERR_CHANNEL_DECRYPT_FAILED', DECRYPT_FAILED_MESSAGE);
}
