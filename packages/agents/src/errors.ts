/**
 * The one error class of `@nqc/agents`, with stable string codes and a `retryable` flag.
 * @module
 */

/**
 * Stable error codes thrown by `@nqc/agents`. Match on `code`, not on the message.
 *
 * - `ERR_AGENTS_QUEUE_FULL`: the pool's bounded queue is full (back-pressure). Retryable.
 * - `ERR_AGENTS_TIMEOUT`: the task ran past its timeout; its worker was terminated and replaced. Retryable.
 * - `ERR_AGENTS_ABORTED`: the caller's `AbortSignal` fired before the task finished.
 * - `ERR_AGENTS_WORKER_CRASHED`: the worker running the task died (exit, fatal WASM abort); it was
 *   replaced and only this task failed. Retryable.
 * - `ERR_AGENTS_TASK_FAILED`: the task itself failed (bad input, decryption failure, ...); `reason`
 *   holds the underlying library's code (e.g. `ERR_PQL_INVALID_INPUT`).
 * - `ERR_AGENTS_UNKNOWN_OPERATION`: no agent declares the requested operation.
 * - `ERR_AGENTS_REGISTRY`: an agent could not be registered (bad name, capability already taken).
 * - `ERR_AGENTS_KEY`: no usable key for the request (unknown id, wrong purpose, disabled or destroyed).
 * - `ERR_AGENTS_INVALID_INPUT`: an argument has the wrong type or shape.
 * - `ERR_AGENTS_CLOSED`: the manager, pool or client was closed.
 * - `ERR_AGENTS_PROTOCOL`: a custody-agent message is malformed, too large or of an unknown type.
 * - `ERR_AGENTS_SOCKET`: the custody socket cannot be used safely (permissions, in use, unreachable).
 */
export type AgentsErrorCode =
  | 'ERR_AGENTS_QUEUE_FULL'
  | 'ERR_AGENTS_TIMEOUT'
  | 'ERR_AGENTS_ABORTED'
  | 'ERR_AGENTS_WORKER_CRASHED'
  | 'ERR_AGENTS_TASK_FAILED'
  | 'ERR_AGENTS_UNKNOWN_OPERATION'
  | 'ERR_AGENTS_REGISTRY'
  | 'ERR_AGENTS_KEY'
  | 'ERR_AGENTS_INVALID_INPUT'
  | 'ERR_AGENTS_CLOSED'
  | 'ERR_AGENTS_PROTOCOL'
  | 'ERR_AGENTS_SOCKET';

const RETRYABLE: ReadonlySet<AgentsErrorCode> = new Set(['ERR_AGENTS_QUEUE_FULL', 'ERR_AGENTS_TIMEOUT', 'ERR_AGENTS_WORKER_CRASHED']);

/** Extra fields of an {@link NqcAgentsError}. */
export type AgentsErrorOptions = ErrorOptions & {
  /** For `ERR_AGENTS_TASK_FAILED`: the code of the library error inside the task. */
  reason?: string;
};

/**
 * Error thrown by every `@nqc/agents` function. `code` is stable; `retryable` says whether the same
 * request may succeed if sent again later (queue full, timeout, crashed worker); `reason` carries the
 * underlying library code of a failed task. Messages never contain secret material.
 * @example
 * ```ts
 * try { await manager.perform('sign', { message }) } catch (e) {
 *   if (e instanceof NqcAgentsError && e.retryable) setTimeout(retry, 100);
 * }
 * ```
 */
export class NqcAgentsError extends Error {
  /** Stable machine-readable code. */
  readonly code: AgentsErrorCode;
  /** True when retrying later may succeed. */
  readonly retryable: boolean;
  /** Underlying library code for `ERR_AGENTS_TASK_FAILED` (e.g. `ERR_PQL_INVALID_INPUT`). */
  readonly reason: string | undefined;
  /**
   * @param code - stable error code
   * @param message - short description
   * @param options - `cause`, `reason`
   */
  constructor(code: AgentsErrorCode, message: string, options?: AgentsErrorOptions) {
    super(message, options);
    this.name = 'NqcAgentsError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.reason = options?.reason;
  }
}

/** @internal Throws an {@link NqcAgentsError}. */
export function fail(code: AgentsErrorCode, message: string, options?: AgentsErrorOptions): never {
  throw new NqcAgentsError(code, message, options);
}
