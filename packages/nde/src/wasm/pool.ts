/**
 * Node worker threads for the WebAssembly backend: the module is compiled once in this thread and
 * posted to each worker (a `WebAssembly.Module` is shared, not recompiled); each job's buffers are
 * transferred both ways.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { NdeWasmJob, WasmModule } from '../../wasm/kernel.mjs';
import { NqcNdeError } from '../errors.js';
import { _startWorkerRunners, _WorkerThreadRunner } from '../worker-thread.js';
import { _createWasmBackend, type NdeWasmBackend, type WasmBackendInternals, type WasmRunner, type WasmRunnerFactory } from './backend.js';

const WORKER_PATH = fileURLToPath(new URL('../../wasm/worker.mjs', import.meta.url));

/** One worker thread with its own kernel instance. */
function workerRunner(module: WasmModule): WasmRunner & { ready: Promise<void> } {
  return new _WorkerThreadRunner<NdeWasmJob, Uint8Array>({
    path: WORKER_PATH,
    workerData: { module },
    result: (msg) => msg.data as Uint8Array,
    failure: (error) => new NqcNdeError('ERR_NDE_BACKEND_FAILED', `the NDE WebAssembly kernel failed: ${error}`),
    // Every buffer of a job is its own (backend.ts packs them): transfer them all, copy none.
    transfer: (job) => [job.data, job.ivs, job.w1, job.z1, job.w2, job.z2].map((b) => b.buffer as ArrayBuffer),
  });
}

/** Starts `count` worker threads sharing one compiled module. @internal */
export function _workerRunners(count: number): WasmRunnerFactory {
  return (module) => _startWorkerRunners(count, () => workerRunner(module));
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
