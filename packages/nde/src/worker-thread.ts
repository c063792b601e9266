/**
 * One Node worker thread that runs jobs, shared by the ONNX runners (onnx/runner.ts) and the
 * WebAssembly pool (wasm/pool.ts): request ids, a `ready` handshake, every pending job rejected
 * when the thread fails, and a close that lets the thread finish and exit by itself.
 */
import { Worker } from 'node:worker_threads';
import { NqcNdeError } from './errors.js';

/** A reply of the worker: `ready`, or a job's result or error under its id. @internal */
export interface _WorkerReply {
  type?: string;
  id?: number;
  error?: string;
  [field: string]: unknown;
}

/** What differs between the kinds of worker threads. @internal */
export interface _WorkerThreadSpec<J, R> {
  /** the worker script */
  readonly path: string;
  /** its `workerData` (a model's bytes, a compiled module) */
  readonly workerData: unknown;
  /** the result of a successful reply */
  result(msg: _WorkerReply): R;
  /** the error of a failed reply (`msg.error` is the worker's message) */
  failure(error: string): NqcNdeError;
  /** the buffers of `job` to transfer (the rest is copied) */
  transfer(job: J): ArrayBuffer[];
}

interface Pending<R> {
  resolve(out: R): void;
  reject(err: unknown): void;
}

/** One worker thread that runs jobs `J` to results `R`. @internal */
export class _WorkerThreadRunner<J, R> {
  readonly #spec: _WorkerThreadSpec<J, R>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending<R>>();
  /** resolves once the worker has said `ready`; rejects if it fails first */
  readonly ready: Promise<void>;
  #nextId = 0;
  #dead: NqcNdeError | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  constructor(spec: _WorkerThreadSpec<J, R>) {
    this.#spec = spec;
    this.#worker = new Worker(spec.path, { workerData: spec.workerData });
    this.#worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: _WorkerReply): void => {
        if (msg.type === 'ready') {
          resolve();
          return;
        }
        const p = this.#pending.get(msg.id!);
        if (!p) return;
        this.#pending.delete(msg.id!);
        if (this.#pending.size === 0) this.#worker.unref();
        if (msg.error !== undefined) p.reject(spec.failure(msg.error));
        else p.resolve(spec.result(msg));
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

  /** Posts `job` to the worker; resolves with its result. */
  run(job: J): Promise<R> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, job }, this.#spec.transfer(job));
    });
  }

  /** Rejects pending jobs with ERR_NDE_CLOSED and asks the worker to finish and exit. */
  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#fail(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    if (this.#exited) return;
    // Never worker.terminate() a worker that may be inside session.run: onnxruntime-node then throws a
    // Napi::Error from native code and the whole process aborts ("terminate called after throwing an
    // instance of 'Napi::Error'", seen here). Ask it to finish its queue (a WebAssembly worker also
    // wipes its kernel memory), release what it holds and exit.
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
 * Starts `count` runners from `make` and waits until each is ready; closes them all if one fails.
 * @internal
 */
export async function _startWorkerRunners<T extends { ready: Promise<void>; close(): Promise<void> }>(count: number, make: () => T): Promise<T[]> {
  const runners = Array.from({ length: count }, make);
  try {
    await Promise.all(runners.map((r) => r.ready));
  } catch (err) {
    await Promise.all(runners.map((r) => r.close()));
    throw err;
  }
  return runners;
}
