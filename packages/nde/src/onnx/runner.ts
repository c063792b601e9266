import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runPosted, SESSION_OPTIONS } from '../../worker/onnx-session.mjs';
import { NqcNdeError } from '../errors.js';
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

interface Pending<R> {
  resolve(out: R): void;
  reject(err: unknown): void;
}

/** One worker thread with its own session (of the v1 or the v2 model: the jobs say which). @internal */
class WorkerRunner<J extends { data: Uint8Array; iv: Uint8Array }, R> implements OnnxRunner<J, R> {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending<R>>();
  readonly ready: Promise<void>;
  #nextId = 0;
  #dead: NqcNdeError | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  constructor(model: Uint8Array) {
    _disableOrtTelemetry(); // the worker loads the native library: the variable must be set first
    this.#worker = new Worker(_WORKER_PATH, { workerData: { model } });
    this.#worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: { type?: string; id?: number; out?: Uint8Array; state?: Uint8Array; error?: string }): void => {
        if (msg.type === 'ready') {
          resolve();
          return;
        }
        const p = this.#pending.get(msg.id!);
        if (!p) return;
        this.#pending.delete(msg.id!);
        if (this.#pending.size === 0) this.#worker.unref();
        if (msg.error !== undefined) p.reject(new NqcNdeError('ERR_NDE_BACKEND_FAILED', `onnxruntime failed: ${msg.error}`));
        // A v2 job's reply carries the final state too.
        else p.resolve((msg.state === undefined ? msg.out! : { out: msg.out!, state: msg.state }) as R);
      };
      const onError = (err: unknown): void => {
        const dead = new NqcNdeError('ERR_NDE_BACKEND_FAILED', 'NDE worker thread failed', { cause: err });
        reject(dead);
        this.#fail(dead);
      };
      this.#worker.on('message', onMessage);
      this.#worker.on('error', onError);
      this.#worker.on('exit', (code) => {
        this.#exited = true;
        if (!this.#dead) onError(new Error(`worker exited with code ${code}`));
      });
    });
    // Avoid an unhandled rejection if the worker dies before anyone awaits `ready`.
    this.ready.catch(() => undefined);
  }

  /** Marks the worker dead and rejects every job still waiting on it. */
  #fail(err: NqcNdeError): void {
    this.#dead ??= err;
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
  }

  run(job: J): Promise<R> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      // data and iv are per-job buffers: transfer them; the weights are shared and get copied.
      this.#worker.postMessage({ id, job }, [job.data.buffer as ArrayBuffer, job.iv.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#fail(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    if (this.#exited) return;
    // Never worker.terminate() a worker that may be inside session.run: onnxruntime-node then throws a
    // Napi::Error from native code and the whole process aborts ("terminate called after throwing an
    // instance of 'Napi::Error'", seen here). Ask it to finish its queue, release the session and exit.
    this.#closing = new Promise<void>((resolve) => {
      const exited = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        // Still running after 30 s: something is wrong anyway; terminate as a last resort.
        this.#worker.off('exit', exited);
        void this.#worker.terminate().then(() => resolve());
      }, 30_000);
      timer.unref();
      this.#worker.once('exit', exited);
      this.#worker.ref();
      this.#worker.postMessage({ type: 'close' });
    });
    return this.#closing;
  }
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
  const runners = Array.from({ length: count }, () => new WorkerRunner<J, R>(model));
  try {
    await Promise.all(runners.map((r) => r.ready));
  } catch (err) {
    await Promise.all(runners.map((r) => r.close()));
    throw err;
  }
  return runners;
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
