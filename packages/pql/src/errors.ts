/**
 * The one error class of `@nqc/pql`, with stable string codes.
 * @module
 */

/**
 * Stable error codes thrown by `@nqc/pql`. Match on `code`, not on the message: messages may be
 * reworded, codes are part of the public API.
 */
export type PqlErrorCode =
  /** An argument had the wrong type or length (a programming error in the caller). */
  | 'ERR_PQL_INVALID_INPUT'
  /** A stanza of one of our types is malformed in a way that proves corruption (wrong body length, bad args). */
  | 'ERR_PQL_STANZA_MALFORMED'
  /** An algorithm id is not registered. */
  | 'ERR_PQL_UNKNOWN_ALGORITHM'
  /** A provider could not be registered (id or prefix taken, not post-quantum, bad declaration). */
  | 'ERR_PQL_REGISTRY'
  /** A recipient set was refused (empty, or a recipient that is not post-quantum). */
  | 'ERR_PQL_RECIPIENTS'
  /** A key string is malformed: prefix, case, checksum, characters or payload length. */
  | 'ERR_PQL_KEY_STRING'
  /** An identity file is malformed. */
  | 'ERR_PQL_IDENTITY_FILE'
  /** The passphrase does not open an encrypted identity file (or the file was modified). */
  | 'ERR_PQL_BAD_PASSPHRASE'
  /** A keyset is malformed, or an operation is not allowed in the key's current state. */
  | 'ERR_PQL_KEYSET'
  /** A signing operation was refused (e.g. a context string too long). */
  | 'ERR_PQL_SIGNATURE';

/**
 * Error thrown by every `@nqc/pql` function. `code` is stable; `message` is short, lowercase and
 * says exactly what was wrong (it never contains secret material).
 * @example
 * ```ts
 * try { parseRecipient(text) } catch (e) {
 *   if (e instanceof NqcPqlError && e.code === 'ERR_PQL_KEY_STRING') console.error(e.message);
 * }
 * ```
 */
export class NqcPqlError extends Error {
  /** Stable machine-readable code. */
  readonly code: PqlErrorCode;
  /**
   * @param code - stable error code
   * @param message - short human-readable description
   * @param options - standard `ErrorOptions` (e.g. `cause`)
   */
  constructor(code: PqlErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NqcPqlError';
    this.code = code;
  }
}
