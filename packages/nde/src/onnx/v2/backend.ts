/**
 * The onnxruntime-node backend of NDE v2 (docs/nde-v2-spec.md, model/nde-v2.onnx). Same shape as
 * the v1 backend (../backend.ts): lazy sessions (inline or one per worker thread), a known-answer
 * self-test on every session at every batch shape before the first real batch, jobs cut to
 * self-tested batch sizes, chunks over 1 MiB in segments. The v2 model returns the Scan's final
 * state, so segments chain directly (no second run as in v1).
 */
import type { NdeBackend } from '../../types.js';
import { NDE_V2_BLOCK_SIZE as K } from '../../v2/constants.js';
import { _deriveParamsV2, _ParamCacheV2, _wipeParamsV2, type NdeParamsV2 } from '../../v2/derive.js';
import { ndeModelIdOf } from '../../versions.js';
import { _createOnnxBatchBackend, _runOnnxSelfTest, type _OnnxSelfTestSpec, type _OnnxVersionSpec } from '../batch-backend.js';
import { _createInlineRunnerV2, _createWorkerRunners, type OnnxRunner } from '../runner.js';
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

const SELF_TEST: _OnnxSelfTestSpec<NdeParamsV2, OnnxJobV2, OnnxResultV2> = {
  inputs: _katInputsV2,
  answers: _KAT_V2,
  versionName: 'v2',
  couldNotRun: 'ONNX v2 backend self-test could not run',
  // 8 segments chained by the state output
  segmentSteps: _KAT_V2_SEGMENT_STEPS,
  deriveParams: _deriveParamsV2,
  wipeParams: _wipeParamsV2,
  packJob: (params, items, decrypt) => _packJobV2(params, items, decrypt),
  unpackJob: _unpackJobV2,
  wipeJob: _wipeJobV2,
  runSegmented: _runSegmentedV2,
};

/**
 * Runs the v2 known-answer cases on one runner, at every batch size the backend uses (kat.ts), and
 * the long case in segments; rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _selfTestV2(runner: OnnxRunnerV2): Promise<void> {
  await _runOnnxSelfTest(SELF_TEST, runner);
}

/** Every ONNX v2 backend of this process that is not closed yet (see {@link _closeAllOnnxV2}). */
const live = new Set<NdeBackend>();

/** Closes every ONNX v2 backend of this process that is still open (never interrupting a run). @internal */
export async function _closeAllOnnxV2(): Promise<void> {
  await Promise.all([...live].map((b) => b.close()));
}

const V2: _OnnxVersionSpec<NdeParamsV2, OnnxJobV2, OnnxResultV2> = {
  version: 2,
  modelId: () => ndeModelIdOf(2),
  newCache: () => new _ParamCacheV2(),
  live,
  loadModel: (path) => _loadModelV2(path),
  createInline: _createInlineRunnerV2,
  createWorkers: (model, count) => _createWorkerRunners<OnnxJobV2, OnnxResultV2>(model, count),
  selfTest: _selfTestV2,
  stepBytes: K,
  segmentBytes: _SEGMENT_STEPS_V2 * K,
  runSegmented: (run, params, item, decrypt) => _runSegmentedV2(run, params, item, decrypt),
  packJob: (params, items, decrypt) => _packJobV2(params, items, decrypt),
  unpackJob: _unpackJobV2,
  wipeJob: _wipeJobV2,
};

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
  return _createOnnxBatchBackend(V2, opts);
}
