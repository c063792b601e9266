/**
 * Prometheus metrics of the security manager (prom-client). Workers record nothing: every number is
 * taken in the main thread when a task settles (prom-client aggregates `cluster` only, not threads).
 * @module
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStatus } from './pool.js';

/** One settled task, as recorded by {@link AgentMetrics.record}. */
export type TaskReport = {
  /** Agent name. */
  agent: string;
  /** Operation name. */
  op: string;
  /** How it ended: `ok`, `failed`, `timeout`, `aborted`, `crashed` or `rejected` (queue full). */
  outcome: string;
  /** Wall time from submission to settlement, seconds. */
  seconds: number;
  /** Failure reason (library code or failure kind) for the failures counter. */
  reason?: string;
};

/** Options of {@link AgentMetrics}. */
export type MetricsOptions = {
  /** Registry to register in (default: a new one, so two managers never clash). */
  registry?: Registry;
  /** Also collect prom-client's default Node metrics, event-loop lag included (default true). */
  defaultMetrics?: boolean;
};

/** Task duration buckets (seconds): from one KEM operation (~0.5 ms) to a large HE aggregation. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The metrics: `nqc_task_duration_seconds{agent,op}`, `nqc_tasks_total{agent,op,outcome}`,
 * `nqc_pool_queue_depth{agent}`, `nqc_pool_utilization{agent}`, `nqc_crypto_failures_total{reason}`,
 * `nqc_event_loop_lag_p99_seconds` (p99 of the event-loop delay since the previous scrape), and
 * prom-client's default metrics (`nodejs_eventloop_lag_*` among them).
 * @example
 * ```ts
 * const text = await manager.metrics.registry.metrics(); // Prometheus text format
 * ```
 */
export class AgentMetrics {
  /** The registry holding every metric (serve `registry.metrics()` with `registry.contentType`). */
  readonly registry: Registry;
  readonly #duration: Histogram<'agent' | 'op'>;
  readonly #tasks: Counter<'agent' | 'op' | 'outcome'>;
  readonly #failures: Counter<'reason'>;
  readonly #lag: IntervalHistogram;

  /**
   * @param pools - called at scrape time for the pool gauges
   * @param options - registry, default metrics
   */
  constructor(pools: () => PoolStatus[], options: MetricsOptions = {}) {
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    this.#duration = new Histogram({
      name: 'nqc_task_duration_seconds',
      help: 'Time from submission to result of a security task, by agent and operation',
      labelNames: ['agent', 'op'],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    });
    this.#tasks = new Counter({
      name: 'nqc_tasks_total',
      help: 'Security tasks by agent, operation and outcome (ok, failed, timeout, aborted, crashed, rejected)',
      labelNames: ['agent', 'op', 'outcome'],
      registers: [registry],
    });
    this.#failures = new Counter({
      name: 'nqc_crypto_failures_total',
      help: 'Failed cryptographic tasks by reason (the library error code, or the failure kind)',
      labelNames: ['reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'nqc_pool_queue_depth',
      help: 'Tasks waiting for a worker, by pool',
      labelNames: ['agent'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of pools()) this.set({ agent: p.name }, p.queueDepth);
      },
    });
    new Gauge({
      name: 'nqc_pool_utilization',
      help: 'Pool utilisation estimate (0..1), by pool',
      labelNames: ['agent'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of pools()) this.set({ agent: p.name }, p.utilization);
      },
    });
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    this.#lag = lag;
    new Gauge({
      name: 'nqc_event_loop_lag_p99_seconds',
      help: 'p99 of the main event-loop delay since the previous scrape, seconds',
      registers: [registry],
      collect() {
        this.set(lag.count > 0 ? lag.percentile(99) / 1e9 : 0);
        lag.reset();
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  }

  /** Records one settled task. */
  record(report: TaskReport): void {
    this.#duration.observe({ agent: report.agent, op: report.op }, report.seconds);
    this.#tasks.inc({ agent: report.agent, op: report.op, outcome: report.outcome });
    if (report.outcome === 'failed' || report.outcome === 'timeout' || report.outcome === 'crashed') {
      // A custom agent's error code becomes a label value: keep only code-shaped strings (bounded, printable).
      const reason = report.reason !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(report.reason) ? report.reason : report.outcome;
      this.#failures.inc({ reason });
    }
  }

  /** Event-loop delay p99 in milliseconds since the previous scrape (0 before any sample). */
  eventLoopLagP99Ms(): number {
    return this.#lag.count > 0 ? this.#lag.percentile(99) / 1e6 : 0;
  }

  /** Stops the event-loop monitor. */
  close(): void {
    this.#lag.disable();
  }
}
