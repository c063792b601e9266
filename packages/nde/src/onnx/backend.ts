import { _deriveParams, _ParamCache, _wipeParams, type NdeParams } from '../derive.js';
import { NDE_BLOCK_SIZE, ndeModelId } from '../constants.js';
import type { NdeBackend } from '../types.js';
import { _createOnnxBatchBackend, _runOnnxSelfTest, type _OnnxSelfTestSpec, type _OnnxVersionSpec } from './batch-backend.js';
import { _packJob, _unpackJob, _wipeJob, type OnnxJob } from './job.js';
import { _KAT, _katInputs } from './kat.js';
import { _runSegmented, _SEGMENT_BLOCKS } from './segment.js';
import { _createInlineRunner, _createWorkerRunners, type OnnxRunner } from './runner.js';
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

const SELF_TEST: _OnnxSelfTestSpec<NdeParams, OnnxJob, Uint8Array> = {
  inputs: _katInputs,
  answers: _KAT,
  versionName: 'v1',
  couldNotRun: 'ONNX backend self-test could not run',
  // 8 segments and 7 probes per direction
  segmentSteps: 64,
  deriveParams: _deriveParams,
  wipeParams: _wipeParams,
  packJob: _packJob,
  unpackJob: _unpackJob,
  wipeJob: _wipeJob,
  runSegmented: _runSegmented,
};

/**
 * Runs the known-answer cases on one runner, at every batch size the backend uses (see kat.ts);
 * rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _selfTest(runner: OnnxRunner): Promise<void> {
  await _runOnnxSelfTest(SELF_TEST, runner);
}

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

const V1: _OnnxVersionSpec<NdeParams, OnnxJob, Uint8Array> = {
  version: 1,
  modelId: ndeModelId,
  newCache: () => new _ParamCache(),
  live,
  loadModel: (path) => _loadModel(path),
  createInline: _createInlineRunner,
  createWorkers: (model, count) => _createWorkerRunners(model, count),
  selfTest: _selfTest,
  stepBytes: NDE_BLOCK_SIZE,
  segmentBytes: _SEGMENT_BLOCKS * NDE_BLOCK_SIZE,
  runSegmented: (run, params, item, decrypt) => _runSegmented(run, params, item, decrypt),
  packJob: _packJob,
  unpackJob: _unpackJob,
  wipeJob: _wipeJob,
};

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
  return _createOnnxBatchBackend(V1, opts);
}
