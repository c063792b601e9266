// One error model over the four layers: core throws NqcCoreError; the layers' own classes pass through
// unchanged (their codes are stable); errorInfo() maps any of them to one line for a CLI.
import { DECRYPT_FAILED_MESSAGE, NqcFormatError } from '@nqc/container';
import { NqcPqlError } from '@nqc/pql';
import { NqcNdeError } from '@nqc/nde';

/**
 * Stable codes of `@nqc/core`. Codes never change meaning once published; messages may be reworded.
 */
export type NqcCoreErrorCode =
  /** An argument had the wrong type, shape or value (a programming error in the caller). */
  | 'ERR_CORE_INVALID_ARGUMENT'
  /** A key (recipient, identity, signer, verifier) could not be understood. */
  | 'ERR_CORE_KEY'
  /**
   * A passphrase (`scrypt`) stanza next to other stanzas: refused on encrypt and on decrypt (a
   * passphrase envelope has exactly one stanza, as in age).
   */
  | 'ERR_CORE_RECIPIENT_MIX'
  /** The envelope is signed, but not by one of the signers the caller required. */
  | 'ERR_CORE_SIGNER_UNTRUSTED'
  /** An asynchronous identity (e.g. a custody agent) failed or answered nonsense; its error is the `cause`. */
  | 'ERR_CORE_IDENTITY_FAILED'
  /** An asynchronous signer (e.g. a custody agent) failed or answered nonsense; its error is the `cause`. */
  | 'ERR_CORE_SIGNER_FAILED'
  /** The requested NDE backend is not available in this environment (e.g. `'onnx'` from the browser entry). */
  | 'ERR_CORE_NDE_UNAVAILABLE'
  /** A record or dataset is malformed (field missing or not a number, payload is not a JSON object). */
  | 'ERR_CORE_RECORD'
  /** The envelope carries no HE field at the requested path, or fields that cannot be combined. */
  | 'ERR_CORE_HE_FIELD';

/**
 * The error class of `@nqc/core`. Branch on `code`, never on `message`.
 * @example
 * ```ts
 * try { await decrypt(env, { identities, requireSigner }); }
 * catch (e) { if (e instanceof NqcCoreError && e.code === 'ERR_CORE_SIGNER_UNTRUSTED') ... }
 * ```
 */
export class NqcCoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: NqcCoreErrorCode;
  /**
   * @param code - stable code
   * @param message - short lowercase description (never secret material)
   * @param options - standard `ErrorOptions` (e.g. `cause`)
   */
  constructor(code: NqcCoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NqcCoreError';
    this.code = code;
  }
}

/** @internal */
export function fail(code: NqcCoreErrorCode, message: string, cause?: unknown): never {
  throw new NqcCoreError(code, message, cause === undefined ? undefined : { cause });
}

/** Which layer raised an error (see {@link errorInfo}). */
export type NqcErrorLayer = 'core' | 'format' | 'pql' | 'nde' | 'she';

/** One-line description of any nqc error. */
export interface NqcErrorInfo {
  /** The layer that raised it. */
  readonly layer: NqcErrorLayer;
  /** The stable code, e.g. `ERR_FORMAT_DECRYPT_FAILED`. */
  readonly code: string;
  /** The message (for every decryption failure exactly `could not decrypt`). */
  readonly message: string;
}

/**
 * True for an error thrown by any nqc layer: `NqcCoreError`, `NqcFormatError` (container),
 * `NqcPqlError`, `NqcNdeError`, `NqcSheError`. The SHE class is recognised by name and code so that
 * this check does not load node-seal.
 */
export function isNqcError(e: unknown): e is Error & { code: string } {
  if (e instanceof NqcCoreError || e instanceof NqcFormatError || e instanceof NqcPqlError || e instanceof NqcNdeError) return true;
  return e instanceof Error && e.name === 'NqcSheError' && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Maps any error to `{ layer, code, message }`, so a CLI can print one line (`nqc: <message>
 * (<code>)`) and choose an exit code from `code` without a stack trace. Errors from outside nqc (file
 * system, programming errors) map to layer `core`, code `ERR_INTERNAL` or the Node `code` (e.g. `ENOENT`).
 * @example
 * ```ts
 * catch (e) { const { code, message } = errorInfo(e); console.error(`nqc: ${message} (${code})`); }
 * ```
 */
export function errorInfo(e: unknown): NqcErrorInfo {
  if (e instanceof NqcCoreError) return { layer: 'core', code: e.code, message: e.message };
  if (e instanceof NqcFormatError) {
    // Every key-dependent failure carries exactly one message (no oracle).
    const message = e.code === 'ERR_FORMAT_DECRYPT_FAILED' ? DECRYPT_FAILED_MESSAGE : e.message;
    return { layer: 'format', code: e.code, message };
  }
  if (e instanceof NqcPqlError) return { layer: 'pql', code: e.code, message: e.message };
  if (e instanceof NqcNdeError) return { layer: 'nde', code: e.code, message: e.message };
  if (isNqcError(e)) return { layer: 'she', code: e.code, message: e.message };
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'ERR_INTERNAL';
  return { layer: 'core', code, message: e instanceof Error ? e.message : String(e) };
}

export { DECRYPT_FAILED_MESSAGE };
