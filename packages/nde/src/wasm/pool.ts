/**
 * Node worker threads for the WebAssembly backend: the module is compiled once in this thread and
 * posted to each worker (a `WebAssembly.Module` is shared, not recompiled); each job's buffers are
 * transferred both ways.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NdeWasmJob, WasmModule } from '../../wasm/kernel.mjs';
import { NqcNdeError } from '../errors.js';
import { _createWasmBackend, type NdeWasmBackend, type WasmBackendInternals, type WasmRunner, type WasmRunnerFactory } from './backend.js';

const WORKER_PATH = fileURLToPath(new URL('../../wasm/worker.mjs', import.meta.url));

interface Pending {
  resolve(out: Uint8Array): void;
  reject(err: unknown): void;
}

/** One worker thread with its own kernel instance. */
class WorkerRunner implements WasmRunner {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  #nextId = 0;
  #dead: NqcNdeError | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  constructor(module: WasmModule) {
    this.#worker = new Worker(WORKER_PATH, { workerData: { module } });
    this.#worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.#worker.on('message', (msg: { type?: string; id?: number; data?: Uint8Array; error?: string }) => {
        if (msg.type === 'ready') return resolve();
        const p = this.#pending.get(msg.id!);
        if (!p) return;
        this.#pending.delete(msg.id!);
        if (this.#pending.size === 0) this.#worker.unref();
        if (msg.error !== undefined) p.reject(new NqcNdeError('ERR_NDE_BACKEND_FAILED', `the NDE WebAssembly kernel failed: ${msg.error}`));
        else p.resolve(msg.data!);
      });
      const onError = (err: unknown): void => {
        const dead = new NqcNdeError('ERR_NDE_BACKEND_FAILED', 'NDE worker thread failed', { cause: err });
        reject(dead);
        this.#fail(dead);
      };
      this.#worker.on('error', onError);
      this.#worker.on('exit', (code) => {
        this.#exited = true;
        if (!this.#dead) onError(new Error(`worker exited with code ${code}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  #fail(err: NqcNdeError): void {
    this.#dead ??= err;
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
  }

  run(job: NdeWasmJob): Promise<Uint8Array> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      // Every buffer of a job is its own (backend.ts packs them): transfer them all, copy none.
      const buffers = [job.data, job.ivs, job.w1, job.z1, job.w2, job.z2].map((b) => b.buffer as ArrayBuffer);
      this.#worker.postMessage({ id, job }, buffers);
    });
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#fail(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    if (this.#exited) return Promise.resolve();
    // The worker wipes its kernel memory, then exits; a job in progress (milliseconds) finishes first.
    this.#closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.#worker.terminate().then(() => resolve()), 30_000);
      timer.unref();
      this.#worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#worker.ref();
      this.#worker.postMessage({ type: 'close' });
    });
    return this.#closing;
  }
}

/** Starts `count` worker threads sharing one compiled module. @internal */
export function _workerRunners(count: number): WasmRunnerFactory {
  return async (module) => {
    const runners = Array.from({ length: count }, () => new WorkerRunner(module));
    try {
      await Promise.all(runners.map((r) => r.ready));
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return runners;
  };
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Worker threads, each with its own instance of the kernel. `0` runs the kernel in the calling
   * thread (which it blocks while it runs). Default: one per core, at most 8.
   */
  workers?: number;
}

/**
 * Creates the WebAssembly SIMD backend of NDE v2 for Node, with a worker-thread pool: the module is
 * compiled once and shared by the workers; batches are cut into jobs of about 1 MiB of whole chunks
 * (at least one per worker), packed when the call is made (so the caller may reuse its buffers as
 * soon as the call returns), and run first come first served; a job's buffers are transferred, not
 * copied, to the worker and back, and each result is a buffer of exactly its chunk's length. Every
 * worker runs the known-answer self-test before its first job.
 *
 * @param opts - worker count
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` for a bad worker count; calls reject as
 *   {@link createWasmNde}'s do
 * @example
 * ```ts
 * import { createWasmBackend } from '@nqc/nde/node';
 * const nde = createWasmBackend({ workers: 2 });
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * await nde.close();
 * ```
 */
export function createWasmBackend(opts: WasmBackendOptions = {}): NdeWasmBackend {
  return _createWasmBackendNode(opts);
}

/** {@link createWasmBackend} with the internal test hooks. @internal */
export function _createWasmBackendNode(opts: WasmBackendOptions, internals: Omit<WasmBackendInternals, 'workers'> = {}): NdeWasmBackend {
  const workers = opts.workers;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 64)) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"workers" expected an integer in 0..64, got ${String(workers)}`);
  }
  const count = workers ?? Math.max(1, Math.min(8, availableParallelism()));
  return _createWasmBackend(count === 0 ? internals : { ...internals, workers: { count, factory: _workerRunners(count) } });
}
