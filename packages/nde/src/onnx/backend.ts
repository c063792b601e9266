import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { _checkItems, _checkKeySalt } from '../checks.js';
import { _deriveParams, _ParamCache, _wipeParams } from '../derive.js';
import { NDE_BLOCK_SIZE, ndeModelId } from '../constants.js';
import { NqcNdeError } from '../errors.js';
import type { NdeBackend, NdeChunk } from '../types.js';
import { _packJob, _unpackJob, _wipeJob, type OnnxJob } from './job.js';
import { _KAT, _katInputs } from './kat.js';
import { _planJobs } from './plan.js';
import { _runSegmented, _SEGMENT_BLOCKS } from './segment.js';
import { _createInlineRunner, _createWorkerRunners, _defaultWorkers, _RunnerPool, type OnnxRunner } from './runner.js';
import { _loadModel } from './runtime.js';

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /**
   * Worker threads, each running its own single-threaded session. `0` runs the model in the calling
   * thread (which `session.run` blocks). Default: one per core, at most 8.
   */
  workers?: number;
  /** Path of the model file (default: the shipped `model/nde-v1.onnx`); it must hash to NDE_MODEL_ID. */
  modelPath?: string;
}

/**
 * Runs the known-answer cases on one runner, at every batch size the backend uses (see kat.ts);
 * rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _selfTest(runner: OnnxRunner): Promise<void> {
  const { key, salt, cases } = _katInputs();
  const params = _deriveParams(key, salt);
  try {
    for (const { name, items } of cases) {
      for (const decrypt of [false, true]) {
        const mode = decrypt ? 'decrypt' : 'encrypt';
        const job = _packJob(params, items, decrypt);
        let got: string;
        try {
          const outs = _unpackJob(job, await runner.run(job), items);
          got = bytesToHex(sha256(concat(outs)));
        } catch (err) {
          throw new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', 'ONNX backend self-test could not run', { cause: err });
        } finally {
          _wipeJob(job);
        }
        if (got !== _KAT[name]?.[mode]) {
          throw new NqcNdeError(
            'ERR_NDE_SELF_TEST_FAILED',
            `ONNX backend disagrees with the NDE v1 known answers (${mode}, ${name}): refusing to run`,
          );
        }
      }
    }
    // The segmented path (chunks over 1 MiB), with small segments: 8 segments and 7 probes per direction.
    const long = cases.find((c) => c.name === '1/long')!;
    for (const decrypt of [false, true]) {
      const mode = decrypt ? 'decrypt' : 'encrypt';
      let got: string;
      try {
        got = bytesToHex(sha256(await _runSegmented((job) => runner.run(job), params, long.items[0]!, decrypt, 64)));
      } catch (err) {
        throw new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', 'ONNX backend self-test could not run', { cause: err });
      }
      if (got !== _KAT['1/long']?.[mode]) {
        throw new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', `ONNX backend disagrees with the NDE v1 known answers (${mode}, 1/long in segments): refusing to run`);
      }
    }
  } finally {
    _wipeParams(params);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

type Work = { item: NdeChunk; at: number };

// Moved to plan.ts; still imported from here by tests.
export { _jobSizes } from './plan.js';

/** Every ONNX backend of this process that is not closed yet (see {@link _closeAllOnnx}). */
const live = new Set<NdeBackend>();

/**
 * Closes every ONNX backend of this process that is still open, without ever interrupting a run in
 * progress; resolves once every worker thread has exited. @internal (exported as `closeAllNde`)
 */
export async function _closeAllOnnx(): Promise<void> {
  await Promise.all([...live].map((b) => b.close()));
}

/**
 * Creates the onnxruntime-node backend. The session(s) start lazily on first use, and each one runs
 * the known-answer self-test before its first real batch.
 *
 * @param opts - worker count and model path
 * @returns a backend whose calls reject with `ERR_NDE_BACKEND_UNAVAILABLE` (no onnxruntime-node),
 *   `ERR_NDE_MODEL_MISMATCH` (model file is not NDE_MODEL_ID) or `ERR_NDE_SELF_TEST_FAILED`
 * @example
 * ```ts
 * const nde = createOnnxBackend({ workers: 2 });
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * await nde.close();
 * ```
 */
export function createOnnxBackend(opts: OnnxBackendOptions = {}): NdeBackend & { ready(): Promise<void> } {
  const workers = opts.workers ?? undefined;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 64)) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"workers" expected an integer in 0..64, got ${String(workers)}`);
  }
  const cache = new _ParamCache();
  let runnersPromise: Promise<_RunnerPool> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const start = async (): Promise<_RunnerPool> => {
    const model = await _loadModel(opts.modelPath);
    const count = workers ?? _defaultWorkers();
    const runners = count === 0 ? [await _createInlineRunner(model)] : await _createWorkerRunners(model, count);
    try {
      await Promise.all(runners.map(_selfTest));
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return new _RunnerPool(runners);
  };
  const runners = (): Promise<_RunnerPool> => {
    if (closed) return Promise.reject(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    runnersPromise ??= start().catch((err: unknown) => {
      runnersPromise = undefined; // a later call may retry (e.g. after installing onnxruntime-node)
      throw err;
    });
    return runnersPromise;
  };

  // One runner inline, else one per worker (as start() makes them): the plan needs it before they exist.
  const runnerCount = workers === 0 ? 1 : (workers ?? _defaultWorkers());

  const runBatch = async (key: Uint8Array, salt: Uint8Array, items: NdeChunk[], decrypt: boolean): Promise<Uint8Array[]> => {
    _checkKeySalt(key, salt);
    _checkItems(items);
    if (closed) throw new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed');
    // Everything this call reads from its arguments is read before its first await (as WebCrypto
    // does): the jobs are packed now (chunk copies, start states, own copies of the weights), and a
    // segmented chunk is copied by _runSegmented before it awaits. A caller may wipe or reuse its key
    // and chunks as soon as the call returns. The copies are this call's input size, once.
    const params = cache.get(key, salt);
    const results: Uint8Array[] = new Array<Uint8Array>(items.length);
    const work: Work[] = [];
    const large: Work[] = [];
    items.forEach((item, at) => {
      if (item.data.length === 0) results[at] = new Uint8Array(0);
      else if (item.data.length > _SEGMENT_BLOCKS * NDE_BLOCK_SIZE) large.push({ item, at });
      else work.push({ item, at });
    });
    const pool = runners();
    const run = (job: OnnxJob): Promise<Uint8Array> => pool.then((p) => p.run(job));
    // Chunks over 1 MiB run in 1 MiB segments (segment.ts): onnxruntime's memory per call stays small
    // whatever chunk size the sender chose.
    const segmented = large.map(async (w) => {
      results[w.at] = await _runSegmented(run, params, w.item, decrypt);
    });
    // Jobs of chunks of similar length (plan.ts: padding at most 2x), about one group per runner, cut
    // into self-tested job sizes, through the pool's FIFO queue: a caller that awaits each call still
    // uses every core, and callers with several calls in flight keep every runner busy.
    const steps = work.map((w) => Math.ceil(w.item.data.length / NDE_BLOCK_SIZE));
    const jobs = _planJobs(steps, runnerCount).map((idx) => {
      const group = idx.map((i) => work[i]!);
      const chunks = group.map((w) => w.item);
      return { group, chunks, job: _packJob(params, chunks, decrypt) };
    });
    await Promise.all([
      pool, // awaited even when every chunk is empty: a backend that cannot start rejects the call
      ...jobs.map(async ({ group, chunks, job }) => {
        try {
          const outs = _unpackJob(job, await run(job), chunks);
          group.forEach((w, i) => (results[w.at] = outs[i]!));
        } finally {
          _wipeJob(job);
        }
      }),
      ...segmented,
    ]);
    return results;
  };

  const backend: NdeBackend & { ready(): Promise<void> } = {
    name: 'onnx',
    version: 1,
    get modelId() {
      return ndeModelId();
    },
    encryptChunks: (key, salt, items) => runBatch(key, salt, items, false),
    decryptChunks: (key, salt, items) => runBatch(key, salt, items, true),
    ready: async () => {
      await runners();
    },
    // One close for every caller: a second close (or closeAllNde) waits for the same worker exits.
    close: () =>
      (closing ??= (async () => {
        closed = true;
        const p = runnersPromise;
        runnersPromise = undefined;
        // Stop the runners first (jobs still queued reject with ERR_NDE_CLOSED), then wipe the weights.
        if (p) await (await p.catch(() => undefined))?.close();
        cache.clear();
        live.delete(backend);
      })()),
  };
  live.add(backend);
  return backend;
}

