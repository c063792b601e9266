import { availableParallelism } from 'node:os';
import { runPosted, SESSION_OPTIONS } from '../../worker/onnx-session.mjs';
import { NqcNdeError } from '../errors.js';
import { _startWorkerRunners, _WorkerThreadRunner } from '../worker-thread.js';
import type { OnnxJob } from './job.js';
import type { OnnxJobV2, OnnxResultV2 } from './v2/job.js';
import { _loadOrt, _WORKER_PATH, _disableOrtTelemetry } from './runtime.js';

/**
 * Something that runs jobs on an NDE model: v1 jobs resolve with the `out` bytes, v2 jobs
 * (`OnnxRunner<OnnxJobV2, OnnxResultV2>`) with `out` and the final state. @internal
 */
export interface OnnxRunner<J = OnnxJob, R = Uint8Array> {
  run(job: J): Promise<R>;
  close(): Promise<void>;
}

function failed(err: unknown): NqcNdeError {
  return err instanceof NqcNdeError
    ? err
    : new NqcNdeError('ERR_NDE_BACKEND_FAILED', `onnxruntime failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
}

/** Runs jobs on a session in the calling thread (blocks it while the kernel runs). @internal */
export async function _createInlineRunner(model: Uint8Array): Promise<OnnxRunner> {
  const ort = await _loadOrt();
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  } catch (err) {
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'onnxruntime-node cannot load the NDE model', { cause: err });
  }
  return {
    run: async (job) => {
      try {
        // As in a worker: the job's weights, start states and input are wiped (the input freed) whatever happens.
        return (await runPosted(ort, session, job)).out;
      } catch (err) {
        throw failed(err);
      }
    },
    close: () => session.release(),
  };
}

/** Runs NDE v2 jobs on a session of the v2 model in the calling thread. @internal */
export async function _createInlineRunnerV2(model: Uint8Array): Promise<OnnxRunner<OnnxJobV2, OnnxResultV2>> {
  const ort = await _loadOrt();
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  } catch (err) {
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'onnxruntime-node cannot load the NDE v2 model', { cause: err });
  }
  return {
    run: async (job) => {
      try {
        const { out, state } = await runPosted(ort, session, job);
        return { out, state: state! };
      } catch (err) {
        throw failed(err);
      }
    },
    close: () => session.release(),
  };
}

/** One worker thread with its own session (of the v1 or the v2 model: the jobs say which). @internal */
function workerRunner<J extends { data: Uint8Array; iv: Uint8Array }, R>(model: Uint8Array): _WorkerThreadRunner<J, R> {
  _disableOrtTelemetry(); // the worker loads the native library: the variable must be set first
  return new _WorkerThreadRunner<J, R>({
    path: _WORKER_PATH,
    workerData: { model },
    // A v2 job's reply carries the final state too.
    result: (msg) => (msg.state === undefined ? msg.out : { out: msg.out, state: msg.state }) as R,
    failure: (error) => new NqcNdeError('ERR_NDE_BACKEND_FAILED', `onnxruntime failed: ${error}`),
    // data and iv are per-job buffers: transfer them; the weights are shared and get copied.
    transfer: (job) => [job.data.buffer as ArrayBuffer, job.iv.buffer as ArrayBuffer],
  });
}

/**
 * Starts `count` worker threads, each with its own session.
 * @internal
 */
export async function _createWorkerRunners<J extends { data: Uint8Array; iv: Uint8Array } = OnnxJob, R = Uint8Array>(
  model: Uint8Array,
  count: number,
): Promise<OnnxRunner<J, R>[]> {
  await _loadOrt(); // fail fast, with the typed error, if the package is missing
  return _startWorkerRunners(count, () => workerRunner<J, R>(model));
}

/** Default pool size: one worker per core, at most 8. @internal */
export function _defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

interface Queued<J, R> {
  job: J;
  resolve(out: R): void;
  reject(err: unknown): void;
}

/**
 * Runs jobs on a set of runners from one FIFO queue: each runner takes the next job when it is free,
 * so work stays balanced whatever the callers' pattern (one call at a time, or several in flight).
 * @internal
 */
export class _RunnerPool<J = OnnxJob, R = Uint8Array> {
  readonly #runners: readonly OnnxRunner<J, R>[];
  readonly #busy = new Set<OnnxRunner<J, R>>();
  #queue: Queued<J, R>[] = [];
  #closed: NqcNdeError | undefined;

  constructor(runners: readonly OnnxRunner<J, R>[]) {
    this.#runners = runners;
  }

  /** Number of runners (how many jobs can run at once). */
  get size(): number {
    return this.#runners.length;
  }

  run(job: J): Promise<R> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (const runner of this.#runners) {
      if (this.#queue.length === 0) return;
      if (this.#busy.has(runner)) continue;
      const next = this.#queue.shift()!;
      this.#busy.add(runner);
      runner
        .run(next.job)
        .then(next.resolve, next.reject)
        .finally(() => {
          this.#busy.delete(runner);
          this.#pump();
        });
    }
  }

  async close(): Promise<void> {
    this.#closed ??= new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed');
    const queued = this.#queue;
    this.#queue = [];
    for (const q of queued) q.reject(this.#closed);
    await Promise.all(this.#runners.map((r) => r.close()));
  }
}
