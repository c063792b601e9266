/**
 * A worker pool for one task class, over piscina: a bounded queue (a full queue rejects with the
 * retryable `ERR_AGENTS_QUEUE_FULL`), cancellation with `AbortSignal`, a timeout per task, and crash
 * isolation (a worker that exits or aborts is replaced by piscina; only its task fails).
 * @module
 */
import { Piscina } from 'piscina';
import { fail, NqcAgentsError } from './errors.js';

/** Options of a {@link TaskPool}. */
export type PoolOptions = {
  /** Worker threads, started at once and kept warm (default 1). */
  threads?: number;
  /** Most tasks waiting for a worker; one more is refused with `ERR_AGENTS_QUEUE_FULL` (default 64 per thread). */
  maxQueue?: number;
  /** Default per-task timeout in ms; on expiry the worker is terminated and replaced (default 30,000). */
  taskTimeoutMs?: number;
  /** V8 heap cap per worker in MiB (`resourceLimits.maxOldGenerationSizeMb`). Default: Node's. */
  maxOldGenerationSizeMb?: number;
};

/** Options of one task run. */
export type RunOptions = {
  /** Cancels the task: a queued task is dropped, a running one has its worker terminated. */
  signal?: AbortSignal | undefined;
  /** Overrides the pool's `taskTimeoutMs` for this task. */
  timeoutMs?: number | undefined;
};

/** Live numbers of a pool. */
export type PoolStatus = {
  /** Pool name. */
  name: string;
  /** Worker threads alive now. */
  threads: number;
  /** Configured thread count. */
  maxThreads: number;
  /** Tasks waiting for a worker (submitted and unsettled, minus one per thread). */
  queueDepth: number;
  /** Queue bound. */
  maxQueue: number;
  /** piscina's utilisation estimate, 0..1 (run time / capacity since start). */
  utilization: number;
  /** Tasks completed since start. */
  completed: number;
  /** Tasks whose worker died (exit, fatal abort) since start; piscina replaced each such worker. */
  replaced: number;
  /** False once closed. */
  open: boolean;
};

type WorkerResult = { ok: true; value: unknown } | { ok: false; code: string; message: string };

const positiveInt = (name: string, v: unknown, max: number): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
    fail('ERR_AGENTS_INVALID_INPUT', `"${name}" expected an integer in 1..${max}, got ${String(v)}`);
  }
  return v;
};

/**
 * A pool of worker threads running one worker file. Worker files export one function per operation
 * that returns `{ ok: true, value }` or `{ ok: false, code, message }` (see `src/workers/_task.js`).
 * @example
 * ```ts
 * const pool = new TaskPool('pq', new URL('./workers/pq.js', import.meta.url), { threads: 2 });
 * const sig = await pool.run('sign', { secretKey, message }, { timeoutMs: 5_000 });
 * await pool.close();
 * ```
 */
export class TaskPool {
  /** Pool (agent) name, the `agent` label of its metrics. */
  readonly name: string;
  readonly #piscina: Piscina;
  readonly #maxQueue: number;
  readonly #maxThreads: number;
  readonly #timeoutMs: number;
  #replaced = 0;
  #inFlight = 0;
  #open = true;

  /**
   * @param name - pool name (`pq`, `he`, `bulk`, or a custom agent's)
   * @param filename - worker file (a `file:` URL or absolute path of plain ESM JavaScript)
   * @param options - sizes and timeouts
   * @throws {NqcAgentsError} ERR_AGENTS_INVALID_INPUT
   */
  constructor(name: string, filename: URL | string, options: PoolOptions = {}) {
    this.name = name;
    this.#maxThreads = positiveInt('threads', options.threads ?? 1, 256);
    this.#maxQueue = positiveInt('maxQueue', options.maxQueue ?? 64 * this.#maxThreads, 1 << 20);
    this.#timeoutMs = positiveInt('taskTimeoutMs', options.taskTimeoutMs ?? 30_000, 2 ** 31 - 1);
    if (options.maxOldGenerationSizeMb !== undefined) positiveInt('maxOldGenerationSizeMb', options.maxOldGenerationSizeMb, 1 << 20);
    this.#piscina = new Piscina({
      filename: filename instanceof URL ? filename.href : filename,
      name,
      minThreads: this.#maxThreads,
      maxThreads: this.#maxThreads,
      // Warm: workers never idle out (SEAL's WASM and loaded keys stay in memory).
      idleTimeout: 2 ** 31 - 1,
      maxQueue: this.#maxQueue,
      ...(options.maxOldGenerationSizeMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } } : {}),
    });
    // piscina emits 'error' for a worker that fails outside a task; an unheard 'error' event would throw.
    this.#piscina.on('error', () => undefined);
  }

  /**
   * Runs `op` (a function exported by the worker file) on `input`.
   * @returns the task's value
   * @throws {NqcAgentsError} ERR_AGENTS_QUEUE_FULL (retryable), ERR_AGENTS_TIMEOUT (retryable),
   *   ERR_AGENTS_WORKER_CRASHED (retryable), ERR_AGENTS_ABORTED, ERR_AGENTS_TASK_FAILED (with
   *   `reason`), ERR_AGENTS_CLOSED
   */
  async run<T = unknown>(op: string, input: unknown, options: RunOptions = {}): Promise<T> {
    if (!this.#open) fail('ERR_AGENTS_CLOSED', `pool ${this.name} is closed`);
    const { signal } = options;
    if (signal?.aborted) {
      fail('ERR_AGENTS_ABORTED', 'the task was aborted before it started');
    }
    // Own accounting: piscina keeps tasks that carry an AbortSignal (all of ours: timeouts) in a
    // separate queue that neither its `maxQueue` nor its `queueSize` counts.
    if (this.#inFlight >= this.#maxThreads + this.#maxQueue) {
      fail('ERR_AGENTS_QUEUE_FULL', `pool ${this.name}: queue full (${this.#maxQueue} tasks waiting); retry later`);
    }
    const timeoutMs = options.timeoutMs === undefined ? this.#timeoutMs : positiveInt('timeoutMs', options.timeoutMs, 2 ** 31 - 1);
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeoutMs);
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let result: WorkerResult;
    this.#inFlight++;
    try {
      result = (await this.#piscina.run(input, { name: op, signal: ac.signal })) as WorkerResult;
    } catch (e) {
      throw this.#mapError(e, timedOut, timeoutMs);
    } finally {
      this.#inFlight--;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
      fail('ERR_AGENTS_TASK_FAILED', `pool ${this.name}: worker function "${op}" returned no result record`, { reason: 'ERR_AGENTS_PROTOCOL' });
    }
    if (!result.ok) {
      fail('ERR_AGENTS_TASK_FAILED', result.message, { reason: result.code });
    }
    return result.value as T;
  }

  #mapError(e: unknown, timedOut: boolean, timeoutMs: number): NqcAgentsError {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.name === 'AbortError') {
      if (timedOut) {
        return new NqcAgentsError('ERR_AGENTS_TIMEOUT', `pool ${this.name}: task timed out after ${timeoutMs} ms; its worker was replaced`);
      }
      return new NqcAgentsError('ERR_AGENTS_ABORTED', 'the task was aborted');
    }
    if (message === 'Task queue is at limit') {
      return new NqcAgentsError('ERR_AGENTS_QUEUE_FULL', `pool ${this.name}: queue full; retry later`);
    }
    if (!this.#open) return new NqcAgentsError('ERR_AGENTS_CLOSED', `pool ${this.name} is closed`, { cause: e });
    // "worker exited with code: N", a worker 'error' (uncaught exception, out of memory), a failed load.
    this.#replaced++;
    return new NqcAgentsError('ERR_AGENTS_WORKER_CRASHED', `pool ${this.name}: the worker running the task died (${message}); it was replaced`, { cause: e });
  }

  /** Live numbers (queue depth, threads, utilisation). */
  status(): PoolStatus {
    return {
      name: this.name,
      threads: this.#open ? this.#piscina.threads.length : 0,
      maxThreads: this.#maxThreads,
      queueDepth: Math.max(0, this.#inFlight - this.#maxThreads),
      maxQueue: this.#maxQueue,
      utilization: this.#open ? this.#piscina.utilization : 0,
      completed: this.#piscina.completed,
      replaced: this.#replaced,
      open: this.#open,
    };
  }

  /** Stops the workers; queued and running tasks reject with `ERR_AGENTS_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#piscina.destroy();
  }
}
