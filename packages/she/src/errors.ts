/**
 * Error codes of `@nqc/she`. Stable strings: match on `code`, never on `message`.
 *
 * - `ERR_SHE_INPUT`: an argument has the wrong type, shape or size.
 * - `ERR_SHE_FORMAT`: serialised bytes (ciphertext, key set, bundle) are malformed, truncated or non-canonical.
 * - `ERR_SHE_PARAMS`: unknown parameter preset, or parameters that do not match what was pinned.
 * - `ERR_SHE_KEY_MISMATCH`: a ciphertext refers to another key id or parameter set than the keys in use.
 * - `ERR_SHE_KEY_KIND`: a key object of the wrong kind (e.g. an evaluation bundle where a key set is needed).
 * - `ERR_SHE_SCHEMA`: field schema invalid, unknown field, or a field of the wrong type for the scheme.
 * - `ERR_SHE_RANGE`: a value lies outside its field's declared range or is not representable.
 * - `ERR_SHE_OVERFLOW`: the result of an operation could exceed the plain modulus (BFV) or the CKKS
 *   modulus at the result's level; refused before computing, never wrapped.
 * - `ERR_SHE_NOISE_BUDGET`: the operation would exhaust the noise budget (BFV) or the level/scale budget
 *   (CKKS) of the parameter set; refused before returning garbage.
 * - `ERR_SHE_UNSUPPORTED`: the operation is not possible with these parameters, layout or keys
 *   (e.g. a product on a depth-0 preset, a rotation whose Galois key the bundle does not carry).
 * - `ERR_SHE_DECRYPT`: decryption produced no trustworthy value (noise budget exhausted).
 * - `ERR_SHE_SEAL`: SEAL raised an error (its message is kept as `cause`).
 * - `ERR_SHE_SEAL_FATAL`: the WASM module aborted or ran out of memory; the SEAL instance must not be
 *   used again (with `@nqc/she/node`, the worker is restarted).
 * - `ERR_SHE_DISPOSED`: the object was disposed and its SEAL memory freed.
 */
export type SheErrorCode =
  | 'ERR_SHE_INPUT'
  | 'ERR_SHE_FORMAT'
  | 'ERR_SHE_PARAMS'
  | 'ERR_SHE_KEY_MISMATCH'
  | 'ERR_SHE_KEY_KIND'
  | 'ERR_SHE_SCHEMA'
  | 'ERR_SHE_RANGE'
  | 'ERR_SHE_OVERFLOW'
  | 'ERR_SHE_NOISE_BUDGET'
  | 'ERR_SHE_UNSUPPORTED'
  | 'ERR_SHE_DECRYPT'
  | 'ERR_SHE_SEAL'
  | 'ERR_SHE_SEAL_FATAL'
  | 'ERR_SHE_DISPOSED';

/**
 * The one error class of `@nqc/she`.
 *
 * @example
 * ```ts
 * try { evaluator.sum(columns) } catch (e) {
 *   if (e instanceof NqcSheError && e.code === 'ERR_SHE_OVERFLOW') { ... }
 * }
 * ```
 */
export class NqcSheError extends Error {
  /** Stable machine-readable code. */
  readonly code: SheErrorCode;
  /**
   * @param code stable code
   * @param message short lowercase description
   * @param options standard `cause`
   */
  constructor(code: SheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NqcSheError';
    this.code = code;
  }
}

/** @internal */
export function fail(code: SheErrorCode, message: string, cause?: unknown): never {
  throw new NqcSheError(code, message, cause === undefined ? undefined : { cause });
}
