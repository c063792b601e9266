/**
 * Agents: named sets of capabilities (operation names). The built-in agents are worker pools by task
 * class (`pq`, `he`, `bulk`); a custom agent is any object implementing {@link Agent}.
 * @module
 */
import type { KeyStore } from './keys.js';
import type { PoolStatus } from './pool.js';

/** What an agent receives with each task. */
export type TaskContext = {
  /** Cancels the task. */
  signal?: AbortSignal | undefined;
  /** Per-task timeout in ms (pool agents default to their pool's). */
  timeoutMs?: number | undefined;
  /** The manager's key store (secret keys never leave it except to the package's own workers). */
  keys: KeyStore;
};

/**
 * An agent: declares the operations it can perform and performs them. Register custom agents with
 * `SecurityManager.register`; each capability belongs to exactly one agent.
 * @example
 * ```ts
 * manager.register({
 *   name: 'audit',
 *   capabilities: ['audit.hash'],
 *   async perform(_op, input) { return sha256(input as Uint8Array) },
 * });
 * await manager.perform('audit.hash', bytes);
 * ```
 */
export interface Agent {
  /** Agent name, `[a-z][a-z0-9-]*` (the `agent` label of metrics). */
  readonly name: string;
  /** Operation names it performs, `[a-z][a-zA-Z0-9]*` segments joined by dots (the `op` label). */
  readonly capabilities: readonly string[];
  /** Performs `op` (one of its capabilities). Throw an error with a string `code` for typed failures. */
  perform(op: string, input: unknown, context: TaskContext): Promise<unknown>;
  /** Pool numbers for `status()`, when the agent runs a pool. */
  status?(): PoolStatus;
  /** Releases resources when the manager closes. */
  close?(): Promise<void>;
}
