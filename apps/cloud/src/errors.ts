/**
 * Errors of the cloud server, with stable codes, and the mapping of every nqc error to an HTTP
 * answer. Messages never contain request bytes.
 * @module
 */
import { errorInfo } from '@nqc/core';

/** Stable codes of {@link NqcCloudError}. */
export type CloudErrorCode =
  | 'ERR_CLOUD_BAD_REQUEST'
  | 'ERR_CLOUD_NOT_FOUND'
  | 'ERR_CLOUD_TOO_LARGE'
  | 'ERR_CLOUD_UNSUPPORTED_MEDIA'
  | 'ERR_CLOUD_BAD_BUNDLE'
  | 'ERR_CLOUD_BAD_WRITER'
  | 'ERR_CLOUD_BAD_ENVELOPE'
  | 'ERR_CLOUD_UNENROLLED_WRITER'
  | 'ERR_CLOUD_KEY_MISMATCH'
  | 'ERR_CLOUD_NO_DATA'
  | 'ERR_CLOUD_DUPLICATE'
  | 'ERR_CLOUD_OVERFLOW'
  | 'ERR_CLOUD_UNAUTHENTICATED'
  | 'ERR_CLOUD_FORBIDDEN'
  | 'ERR_CLOUD_JOB_TIMEOUT'
  | 'ERR_CLOUD_JOB_FAILED'
  | 'ERR_CLOUD_BUSY'
  | 'ERR_CLOUD_REPLAY'
  | 'ERR_CLOUD_QUOTA'
  | 'ERR_CLOUD_INTERNAL';

const STATUS: Record<CloudErrorCode, number> = {
  ERR_CLOUD_BAD_REQUEST: 400,
  ERR_CLOUD_NOT_FOUND: 404,
  ERR_CLOUD_TOO_LARGE: 413,
  ERR_CLOUD_UNSUPPORTED_MEDIA: 415,
  ERR_CLOUD_BAD_BUNDLE: 422,
  ERR_CLOUD_BAD_WRITER: 422,
  ERR_CLOUD_BAD_ENVELOPE: 422,
  ERR_CLOUD_UNENROLLED_WRITER: 403,
  ERR_CLOUD_KEY_MISMATCH: 422,
  ERR_CLOUD_NO_DATA: 409,
  ERR_CLOUD_DUPLICATE: 409,
  ERR_CLOUD_OVERFLOW: 422,
  ERR_CLOUD_UNAUTHENTICATED: 401,
  ERR_CLOUD_FORBIDDEN: 403,
  ERR_CLOUD_JOB_TIMEOUT: 504,
  ERR_CLOUD_JOB_FAILED: 502,
  ERR_CLOUD_BUSY: 503,
  ERR_CLOUD_REPLAY: 400,
  ERR_CLOUD_QUOTA: 403,
  ERR_CLOUD_INTERNAL: 500,
};

/** An error of the cloud server; `cause` keeps the nqc error (its code is in `detail`). */
export class NqcCloudError extends Error {
  /** Stable machine-readable code. */
  readonly code: CloudErrorCode;
  /** The underlying nqc code (`ERR_FORMAT_*`, `ERR_CORE_*`, ...), if any. */
  readonly detail: string | undefined;
  /**
   * @param code - stable code
   * @param message - short description (never request bytes or secret material)
   * @param detail - the underlying nqc error code
   */
  constructor(code: CloudErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'NqcCloudError';
    this.code = code;
    this.detail = detail;
  }

  /** The HTTP status for this code. */
  get status(): number {
    return STATUS[this.code];
  }
}

const UNTRUSTED = new Set(['ERR_CORE_SIGNER_UNTRUSTED', 'ERR_FORMAT_SIGNATURE_REQUIRED', 'ERR_FORMAT_SIGNATURE_INVALID', 'ERR_FORMAT_SIGNATURE_ENCODING']);

/**
 * Wraps an nqc error raised while reading a client's envelope into a cloud error.
 * @param e - what was thrown
 * @param what - what was being read (for the message)
 */
export function envelopeError(e: unknown, what: string): NqcCloudError {
  if (e instanceof NqcCloudError) return e;
  const info = errorInfo(e);
  if (UNTRUSTED.has(info.code)) {
    return new NqcCloudError('ERR_CLOUD_UNENROLLED_WRITER', `${what} is not signed by a writer enrolled in this dataset: ${info.message}`, info.code);
  }
  if (info.code === 'ERR_INTERNAL') return new NqcCloudError('ERR_CLOUD_INTERNAL', `${what}: internal error`);
  return new NqcCloudError('ERR_CLOUD_BAD_ENVELOPE', `${what} is malformed: ${info.message}`, info.code);
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly detail?: string | undefined };
}
