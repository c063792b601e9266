/**
 * The security manager: one object that owns the agents (worker pools by task class), the key store
 * and the metrics, and routes each operation to the agent that declares it.
 * @module
 */
import { listKems, listSignatures, type KeyInfo } from '@nqc/pql';
import type { Agent } from './agent.js';
import { BulkAgent, HeAgent, PqAgent, type Operations } from './builtin-agents.js';
import { fail, NqcAgentsError } from './errors.js';
import { KeyStore } from './keys.js';
import { AgentMetrics, type MetricsOptions } from './metrics.js';
import type { PoolOptions, PoolStatus } from './pool.js';

/** How a task ended, as counted in `nqc_tasks_total{outcome}`. */
export type TaskOutcome = 'ok' | 'failed' | 'timeout' | 'aborted' | 'crashed' | 'rejected';

/** Options of {@link SecurityManager.create}. */
export type ManagerOptions = {
  /** Pool options per built-in agent, or `false` to leave that agent out (default: all three, 1 thread each). */
  pools?: { pq?: PoolOptions | false; he?: PoolOptions | false; bulk?: PoolOptions | false };
  /** The key store (default: an empty one; add keys with `manager.keys.createKey`). */
  keys?: KeyStore;
  /** Metrics registry options. */
  metrics?: MetricsOptions;
};

/** Options of one {@link SecurityManager.perform} call. */
export type PerformOptions = {
  /** Cancels the task (`ERR_AGENTS_ABORTED`). */
  signal?: AbortSignal;
  /** Per-task timeout in ms (`ERR_AGENTS_TIMEOUT`, retryable). */
  timeoutMs?: number;
};

/** One agent in {@link ManagerStatus}. */
export type AgentStatus = {
  /** Agent name. */
  name: string;
  /** Operations it performs. */
  capabilities: string[];
  /** Pool numbers, for pool agents. */
  pool?: PoolStatus;
};

/** What {@link SecurityManager.status} returns: public information only. */
export type ManagerStatus = {
  /** `ok`; `degraded` when a pool's queue is over 80% full or a pool has no live worker; `closed`. */
  health: 'ok' | 'degraded' | 'closed';
  /** Seconds since the manager was created. */
  uptimeSeconds: number;
  /** Registered algorithm ids (@nqc/pql's registry). */
  algorithms: { kem: string[]; signature: string[] };
  /** Keys: ids, purposes, algorithms, statuses and public keys (never a secret). */
  keys: Omit<KeyInfo, 'hasSecret'>[];
  /** Agents, their capabilities and pool numbers. */
  agents: AgentStatus[];
  /** Event-loop delay p99 (ms) since the previous metrics scrape. */
  eventLoopLagP99Ms: number;
};

const AGENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const CAPABILITY = /^[a-z][a-zA-Z0-9]{0,31}(?:\.[a-z][a-zA-Z0-9]{0,31}){0,3}$/;

function outcomeOf(e: unknown): { outcome: TaskOutcome; reason: string } {
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'unknown';
  switch (code) {
    case 'ERR_AGENTS_QUEUE_FULL':
      return { outcome: 'rejected', reason: code };
    case 'ERR_AGENTS_TIMEOUT':
      return { outcome: 'timeout', reason: 'timeout' };
    case 'ERR_AGENTS_ABORTED':
      return { outcome: 'aborted', reason: code };
    case 'ERR_AGENTS_WORKER_CRASHED':
      return { outcome: 'crashed', reason: 'crashed' };
    default:
      return { outcome: 'failed', reason: e instanceof NqcAgentsError && e.reason !== undefined ? e.reason : code };
  }
}

/**
 * The security manager ("security manager" and "agents" in the vision documents): routes operations
 * by name to the agent declaring them, owns the key store and the metrics, reports status.
 * @example
 * ```ts
 * const manager = await SecurityManager.create({ pools: { he: false, bulk: false } });
 * manager.keys.createKey('sign', 'mldsa65');
 * const { signature } = await manager.perform('sign', { message });
 * await manager.close();
 * ```
 */
export class SecurityManager {
  /** The key store (keys per purpose, rotation, disabling). */
  readonly keys: KeyStore;
  /** Prometheus metrics (`metrics.registry.metrics()`). */
  readonly metrics: AgentMetrics;
  readonly #agents = new Map<string, Agent>();
  readonly #routes = new Map<string, Agent>();
  readonly #started = performance.now();
  #closed = false;

  private constructor(options: ManagerOptions) {
    this.keys = options.keys ?? KeyStore.create();
    this.metrics = new AgentMetrics(() => this.#pools(), options.metrics);
  }

  /**
   * Creates a manager with the built-in agents `pq`, `he` and `bulk` (each a warm worker pool, unless
   * disabled with `false`).
   * @throws {NqcAgentsError} ERR_AGENTS_INVALID_INPUT for bad pool options
   */
  static async create(options: ManagerOptions = {}): Promise<SecurityManager> {
    const m = new SecurityManager(options);
    const pools = options.pools ?? {};
    try {
      if (pools.pq !== false) m.register(new PqAgent(pools.pq));
      if (pools.he !== false) m.register(new HeAgent(pools.he));
      if (pools.bulk !== false) m.register(new BulkAgent(pools.bulk));
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  /**
   * Registers an agent and routes its capabilities to it (as @nqc/pql's registry admits providers:
   * names checked, nothing taken twice).
   * @throws {NqcAgentsError} ERR_AGENTS_REGISTRY (bad or taken name or capability), ERR_AGENTS_CLOSED
   */
  register(agent: Agent): void {
    if (this.#closed) fail('ERR_AGENTS_CLOSED', 'the security manager is closed');
    if (typeof agent?.name !== 'string' || !AGENT_NAME.test(agent.name)) {
      fail('ERR_AGENTS_REGISTRY', `invalid agent name ${JSON.stringify(agent?.name)}: expected [a-z][a-z0-9-]*, at most 32 chars`);
    }
    if (this.#agents.has(agent.name)) fail('ERR_AGENTS_REGISTRY', `an agent named "${agent.name}" is already registered`);
    if (typeof agent.perform !== 'function') fail('ERR_AGENTS_REGISTRY', `agent "${agent.name}": "perform" must be a function`);
    const caps = agent.capabilities;
    if (!Array.isArray(caps) || caps.length === 0) fail('ERR_AGENTS_REGISTRY', `agent "${agent.name}" declares no capability`);
    for (const c of caps) {
      if (typeof c !== 'string' || !CAPABILITY.test(c)) fail('ERR_AGENTS_REGISTRY', `agent "${agent.name}": invalid capability ${JSON.stringify(c)}`);
      const owner = this.#routes.get(c);
      if (owner) fail('ERR_AGENTS_REGISTRY', `capability "${c}" is already performed by agent "${owner.name}"`);
    }
    if (new Set(caps).size !== caps.length) fail('ERR_AGENTS_REGISTRY', `agent "${agent.name}" declares a capability twice`);
    this.#agents.set(agent.name, agent);
    for (const c of caps) this.#routes.set(c, agent);
  }

  /** Every operation name the manager can route, sorted. */
  capabilities(): string[] {
    return [...this.#routes.keys()].sort();
  }

  /**
   * Performs an operation with the agent that declares it. Built-in operations are typed by
   * {@link Operations}; custom ones take and return `unknown`.
   * @throws {NqcAgentsError} ERR_AGENTS_UNKNOWN_OPERATION, ERR_AGENTS_QUEUE_FULL (retryable),
   *   ERR_AGENTS_TIMEOUT (retryable), ERR_AGENTS_WORKER_CRASHED (retryable), ERR_AGENTS_ABORTED,
   *   ERR_AGENTS_TASK_FAILED (`reason`: the library code), ERR_AGENTS_KEY, ERR_AGENTS_CLOSED;
   *   a custom agent's own errors pass through
   */
  perform<K extends keyof Operations>(op: K, input: Operations[K]['input'], options?: PerformOptions): Promise<Operations[K]['output']>;
  perform(op: string, input: unknown, options?: PerformOptions): Promise<unknown>;
  async perform(op: string, input: unknown, options: PerformOptions = {}): Promise<unknown> {
    if (this.#closed) fail('ERR_AGENTS_CLOSED', 'the security manager is closed');
    const agent = typeof op === 'string' ? this.#routes.get(op) : undefined;
    // Unknown names are not recorded in metrics: label values stay bounded by the registered set.
    if (!agent) fail('ERR_AGENTS_UNKNOWN_OPERATION', `no agent performs ${JSON.stringify(op)}`);
    const started = performance.now();
    const labels = { agent: agent.name, op };
    try {
      const value = await agent.perform(op, input, { signal: options.signal, timeoutMs: options.timeoutMs, keys: this.keys });
      this.metrics.record({ ...labels, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
      return value;
    } catch (e) {
      this.metrics.record({ ...labels, ...outcomeOf(e), seconds: (performance.now() - started) / 1000 });
      throw e;
    }
  }

  #pools(): PoolStatus[] {
    const out: PoolStatus[] = [];
    for (const a of this.#agents.values()) if (typeof a.status === 'function') out.push(a.status());
    return out;
  }

  /** Algorithms, keys (public parts), agents and pool numbers, uptime and health. */
  status(): ManagerStatus {
    const agents: AgentStatus[] = [...this.#agents.values()].map((a) => ({
      name: a.name,
      capabilities: [...a.capabilities],
      ...(typeof a.status === 'function' ? { pool: a.status() } : {}),
    }));
    const pools = agents.flatMap((a) => (a.pool ? [a.pool] : []));
    const degraded = pools.some((p) => p.queueDepth > 0.8 * p.maxQueue || (p.open && p.threads === 0));
    return {
      health: this.#closed ? 'closed' : degraded ? 'degraded' : 'ok',
      uptimeSeconds: (performance.now() - this.#started) / 1000,
      algorithms: { kem: listKems(), signature: listSignatures() },
      keys: this.keys.list().map(({ hasSecret: _h, ...pub }) => pub),
      agents,
      eventLoopLagP99Ms: this.metrics.eventLoopLagP99Ms(),
    };
  }

  /** Closes every agent (pools stop; pending tasks reject with `ERR_AGENTS_CLOSED`). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#agents.values()].map((a) => a.close?.()));
    this.metrics.close();
  }
}
