/**
 * `@nqc/agents`: the nqc runtime. A {@link SecurityManager} routes security operations to agents
 * (worker pools by task class: `pq`, `he`, `bulk`, and custom agents), owns a {@link KeyStore} (keys per
 * purpose, rotation, disabling) and Prometheus metrics, and reports its status. The key-custody agent
 * process is in `@nqc/agents/custody`, the fastify plugin in `@nqc/agents/fastify`. Node.js only.
 * @module
 */
export { NqcAgentsError, type AgentsErrorCode, type AgentsErrorOptions } from './errors.js';
export { TaskPool, type PoolOptions, type PoolStatus, type RunOptions } from './pool.js';
export type { Agent, TaskContext } from './agent.js';
export { BulkAgent, HeAgent, PqAgent, type HeTaskInput, type Operations } from './builtin-agents.js';
export { KeyStore, type CreateKeyOptions } from './keys.js';
export { AgentMetrics, DURATION_BUCKETS, type MetricsOptions, type TaskReport } from './metrics.js';
export {
  SecurityManager,
  type AgentStatus,
  type ManagerOptions,
  type ManagerStatus,
  type PerformOptions,
  type TaskOutcome,
} from './manager.js';
