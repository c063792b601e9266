/**
 * `@nqc/agents/fastify`: a fastify 5 plugin serving the manager's `/metrics` (Prometheus text) and
 * `/status` (JSON, public information only), with load shedding by `@fastify/under-pressure`: once
 * the event loop lags past `maxEventLoopDelay`, requests get 503 with `Retry-After` instead of
 * queueing until the process stalls.
 * @module
 */
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { SecurityManager } from './manager.js';

/** Options of {@link agentsPlugin}. */
export type AgentsPluginOptions = {
  /** The manager whose metrics and status are served. */
  manager: SecurityManager;
  /** Metrics route (default `/metrics`). */
  metricsPath?: string;
  /** Status route (default `/status`). */
  statusPath?: string;
  /**
   * `@fastify/under-pressure` options, or `false` for no load shedding. Default: shed when the event
   * loop lags more than 200 ms or the manager is closed, `Retry-After: 5`.
   */
  underPressure?: FastifyUnderPressureOptions | false;
};

async function plugin(app: FastifyInstance, options: AgentsPluginOptions): Promise<void> {
  const { manager } = options;
  if (options.underPressure !== false) {
    await app.register(underPressure, {
      maxEventLoopDelay: 200,
      retryAfter: 5,
      healthCheck: async () => manager.status().health !== 'closed',
      healthCheckInterval: 1000,
      ...options.underPressure,
    });
  }
  app.get(options.metricsPath ?? '/metrics', async (_req, reply) => {
    const text = await manager.metrics.registry.metrics();
    return reply.type(manager.metrics.registry.contentType).send(text);
  });
  app.get(options.statusPath ?? '/status', async () => manager.status());
}

/**
 * The plugin (wrapped with fastify-plugin, so load shedding covers the whole application).
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(agentsPlugin, { manager });
 * await app.listen({ port: 9464 });   // GET /metrics, GET /status
 * ```
 */
export const agentsPlugin = fp(plugin, { fastify: '5.x', name: '@nqc/agents' });
