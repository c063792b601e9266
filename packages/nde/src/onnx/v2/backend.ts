/**
 * The onnxruntime-node backend of NDE v2 (docs/nde-v2-spec.md, model/nde-v2.onnx). Same shape as
 * the v1 backend (../backend.ts): lazy sessions (inline or one per worker thread), a known-answer
 * self-test on every session at every batch shape before the first real batch, jobs cut to
 * self-tested batch sizes, chunks over 1 MiB in segments. The v2 model returns the Scan's final
 * state, so segments chain directly (no second run as in v1).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { _checkItems, _checkKeySalt } from '../../checks.js';
import { NqcNdeError } from '../../errors.js';
import type { NdeBackend, NdeChunk } from '../../types.js';
import { NDE_V2_BLOCK_SIZE as K } from '../../v2/constants.js';
import { _deriveParamsV2, _ParamCacheV2, _wipeParamsV2 } from '../../v2/derive.js';
import { ndeModelIdOf } from '../../versions.js';
import { _planJobs } from '../plan.js';
import { _createInlineRunnerV2, _createWorkerRunners, _defaultWorkers, _RunnerPool, type OnnxRunner } from '../runner.js';
import { _packJobV2, _unpackJobV2, _wipeJobV2, type OnnxJobV2, type OnnxResultV2 } from './job.js';
import { _KAT_V2, _KAT_V2_SEGMENT_STEPS, _katInputsV2 } from './kat.js';
import { _loadModelV2 } from './runtime.js';
import { _runSegmentedV2, _SEGMENT_STEPS_V2 } from './segment.js';

/** Options of {@link createOnnxBackendV2}. */
export interface OnnxBackendV2Options {
  /**
   * Worker threads, each running its own single-threaded session. `0` runs the model in the calling
   * thread (which `session.run` blocks). Default: one per core, at most 8.
   */
  workers?: number;
  /** Path of the model file (default: the shipped `model/nde-v2.onnx`); it must hash to `NDE_MODELS[2].idHex`. */
  modelPath?: string;
}

/** A runner of v2 jobs. @internal */
export type OnnxRunnerV2 = OnnxRunner<OnnxJobV2, OnnxResultV2>;

function selfTestError(detail: string, cause?: unknown): NqcNdeError {
  return cause === undefined
    ? new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', `ONNX backend disagrees with the NDE v2 known answers (${detail}): refusing to run`)
    : new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', 'ONNX v2 backend self-test could not run', { cause });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

/**
 * Runs the v2 known-answer cases on one runner, at every batch size the backend uses (kat.ts), and
 * the long case in segments; rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _selfTestV2(runner: OnnxRunnerV2): Promise<void> {
  const { key, salt, cases } = _katInputsV2();
  const params = _deriveParamsV2(key, salt);
  try {
    for (const { name, items } of cases) {
      for (const decrypt of [false, true]) {
        const mode = decrypt ? 'decrypt' : 'encrypt';
        const job = _packJobV2(params, items, decrypt);
        let got: string;
        try {
          got = bytesToHex(sha256(concat(_unpackJobV2(job, await runner.run(job), items))));
        } catch (err) {
          throw selfTestError('', err);
        } finally {
          _wipeJobV2(job);
        }
        if (got !== _KAT_V2[name]?.[mode]) throw selfTestError(`${mode}, ${name}`);
      }
    }
    // The segmented path (chunks over 1 MiB) with small segments: 8 segments chained by the state output.
    const long = cases.find((c) => c.name === '1/long')!;
    for (const decrypt of [false, true]) {
      const mode = decrypt ? 'decrypt' : 'encrypt';
      let got: string;
      try {
        got = bytesToHex(sha256(await _runSegmentedV2((job) => runner.run(job), params, long.items[0]!, decrypt, _KAT_V2_SEGMENT_STEPS)));
      } catch (err) {
        throw selfTestError('', err);
      }
      if (got !== _KAT_V2['1/long']?.[mode]) throw selfTestError(`${mode}, 1/long in segments`);
    }
  } finally {
    _wipeParamsV2(params);
  }
}

type Work = { item: NdeChunk; at: number };

/** Every ONNX v2 backend of this process that is not closed yet (see {@link _closeAllOnnxV2}). */
const live = new Set<NdeBackend>();

/** Closes every ONNX v2 backend of this process that is still open (never interrupting a run). @internal */
export async function _closeAllOnnxV2(): Promise<void> {
  await Promise.all([...live].map((b) => b.close()));
}

/**
 * Creates the onnxruntime-node backend of NDE v2. Its session(s) start lazily on first use (or at
 * `ready()`), and each one runs the v2 known-answer self-test, at every batch shape the backend uses
 * and in segments, before its first real batch.
 *
 * @param opts - worker count and model path
 * @returns a backend whose calls reject with `ERR_NDE_BACKEND_UNAVAILABLE` (no onnxruntime-node),
 *   `ERR_NDE_MODEL_MISMATCH` (model file is not the v2 model id) or `ERR_NDE_SELF_TEST_FAILED`
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` for a bad worker count
 * @example
 * ```ts
 * import { createOnnxBackendV2 } from '@nqc/nde/node';
 * const nde = createOnnxBackendV2({ workers: 2 });
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * await nde.close();
 * ```
 */
export function createOnnxBackendV2(opts: OnnxBackendV2Options = {}): NdeBackend & { ready(): Promise<void> } {
  const workers = opts.workers ?? undefined;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 64)) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"workers" expected an integer in 0..64, got ${String(workers)}`);
  }
  const cache = new _ParamCacheV2();
  let runnersPromise: Promise<_RunnerPool<OnnxJobV2, OnnxResultV2>> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const start = async (): Promise<_RunnerPool<OnnxJobV2, OnnxResultV2>> => {
    const model = await _loadModelV2(opts.modelPath);
    const count = workers ?? _defaultWorkers();
    const runners: OnnxRunnerV2[] =
      count === 0 ? [await _createInlineRunnerV2(model)] : await _createWorkerRunners<OnnxJobV2, OnnxResultV2>(model, count);
    try {
      await Promise.all(runners.map(_selfTestV2));
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return new _RunnerPool(runners);
  };
  const runners = (): Promise<_RunnerPool<OnnxJobV2, OnnxResultV2>> => {
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
    // Everything this call reads from its arguments is read before its first await (as the reference
    // backend and WebCrypto do): the jobs are packed now (chunk copies, start states, own copies of
    // the weights), and a segmented chunk is copied by _runSegmentedV2 before it awaits. A caller may
    // wipe or reuse its key and chunks as soon as the call returns. The copies are this call's input
    // size, once.
    const params = cache.get(key, salt);
    const results: Uint8Array[] = new Array<Uint8Array>(items.length);
    const work: Work[] = [];
    const large: Work[] = [];
    items.forEach((item, at) => {
      if (item.data.length === 0) results[at] = new Uint8Array(0);
      else if (item.data.length > _SEGMENT_STEPS_V2 * K) large.push({ item, at });
      else work.push({ item, at });
    });
    const pool = runners();
    const run = (job: OnnxJobV2): Promise<OnnxResultV2> => pool.then((p) => p.run(job));
    // Chunks over 1 MiB run in 1 MiB segments chained by the model's state output: onnxruntime's
    // memory per call stays small whatever chunk size the sender chose.
    const segmented = large.map(async (w) => {
      results[w.at] = await _runSegmentedV2(run, params, w.item, decrypt);
    });
    // Jobs of chunks of similar length (../plan.ts: padding at most 2x), about one group per runner,
    // in self-tested job sizes.
    const steps = work.map((w) => Math.ceil(w.item.data.length / K));
    const jobs = _planJobs(steps, runnerCount).map((idx) => {
      const group = idx.map((i) => work[i]!);
      const chunks = group.map((w) => w.item);
      return { group, chunks, job: _packJobV2(params, chunks, decrypt) };
    });
    await Promise.all([
      pool, // awaited even when every chunk is empty: a backend that cannot start rejects the call
      ...jobs.map(async ({ group, chunks, job }) => {
        try {
          const outs = _unpackJobV2(job, await run(job), chunks);
          group.forEach((w, i) => (results[w.at] = outs[i]!));
        } finally {
          _wipeJobV2(job);
        }
      }),
      ...segmented,
    ]);
    return results;
  };

  const backend: NdeBackend & { ready(): Promise<void> } = {
    name: 'onnx',
    version: 2,
    get modelId() {
      return ndeModelIdOf(2);
    },
    encryptChunks: (key, salt, items) => runBatch(key, salt, items, false),
    decryptChunks: (key, salt, items) => runBatch(key, salt, items, true),
    ready: async () => {
      await runners();
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        const p = runnersPromise;
        runnersPromise = undefined;
        if (p) await (await p.catch(() => undefined))?.close();
        cache.clear();
        live.delete(backend);
      })()),
  };
  live.add(backend);
  return backend;
}
