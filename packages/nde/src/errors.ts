/** Stable error codes of `@nqc/nde`. */
export type NqcNdeErrorCode =
  /** an argument has the wrong type, length or range */
  | 'ERR_NDE_INVALID_INPUT'
  /** the requested backend cannot be loaded on this machine (e.g. onnxruntime-node missing) */
  | 'ERR_NDE_BACKEND_UNAVAILABLE'
  /** the model file on disk is not the pinned NDE_MODEL_ID */
  | 'ERR_NDE_MODEL_MISMATCH'
  /** the ONNX backend disagreed with the known-answer vectors: it refuses to run */
  | 'ERR_NDE_SELF_TEST_FAILED'
  /** ONNX Runtime or a worker thread failed while running a batch */
  | 'ERR_NDE_BACKEND_FAILED'
  /** the backend was closed */
  | 'ERR_NDE_CLOSED';

/**
 * The one error class of `@nqc/nde`. Check `code`, not the message.
 *
 * @example
 * ```ts
 * try { referenceBackend.encryptChunk(key, salt, 0, data); }
 * catch (e) { if (e instanceof NqcNdeError && e.code === 'ERR_NDE_INVALID_INPUT') { ... } }
 * ```
 */
export class NqcNdeError extends Error {
  /** Stable machine-readable code. */
  readonly code: NqcNdeErrorCode;

  /**
   * @param code - stable code
   * @param message - human-readable detail
   * @param options - standard `cause`
   */
  constructor(code: NqcNdeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NqcNdeError';
    this.code = code;
  }
}
