/**
 * One `session.run` of the NDE v2 model: a batch of chunks laid out as its `data` input
 * [batch, steps, 512], zero-padded to the longest chunk (the spec allows any padding: the state after
 * a partial last step is never used), with each chunk's start state as `iv` [batch, 64].
 * @internal
 */
import { releaseBuffer } from '../../../worker/onnx-session.mjs';
import type { NdeChunk } from '../../types.js';
import { NDE_V2_BLOCK_SIZE as K, NDE_V2_STATE as S } from '../../v2/constants.js';
import { _deriveIvV2, type NdeParamsV2 } from '../../v2/derive.js';
import { _copyWeights, _padChunks, _sliceOutputs, _wipeJobBuffers } from '../job-buffers.js';

/** A v2 job. Plain data only: it is posted to worker threads as is. @internal */
export interface OnnxJobV2 {
  /** marks the job for the worker: it runs `runJobV2` */
  version: 2;
  batch: number;
  /** 512-byte steps per chunk (the longest chunk's, rounded up) */
  steps: number;
  data: Uint8Array;
  /** start states, [batch, 64] */
  iv: Uint8Array;
  w1: Uint8Array;
  z1: Uint8Array;
  w2: Uint8Array;
  z2: Uint8Array;
  decrypt: boolean;
}

/** What the v2 model returns: the output bytes [batch, steps, 512] and the Scan's final states [batch, 64]. @internal */
export interface OnnxResultV2 {
  out: Uint8Array;
  state: Uint8Array;
}

/**
 * Builds a job. `states` gives each chunk's start state (64 bytes each, e.g. where the previous
 * segment ended); without it the states are derived from the chunk indices.
 * @internal
 */
export function _packJobV2(params: NdeParamsV2, items: readonly NdeChunk[], decrypt: boolean, states?: Uint8Array): OnnxJobV2 {
  const { steps, data } = _padChunks(items, K);
  const iv = new Uint8Array(items.length * S);
  if (states) iv.set(states.subarray(0, items.length * S));
  else items.forEach((it, b) => _deriveIvV2(params.prk, it.index, iv, b * S));
  return { version: 2, batch: items.length, steps, data, iv, ..._copyWeights(params), decrypt };
}

/**
 * Cuts the model's output back into per-chunk results, copies of exactly each chunk's length (see
 * {@link _sliceOutputs}); takes ownership of `res`: the output, padding included, and the final
 * states are wiped and freed (a caller that wants the states reads them first).
 * @internal
 */
export function _unpackJobV2(job: OnnxJobV2, res: OnnxResultV2, items: readonly NdeChunk[]): Uint8Array[] {
  res.state.fill(0);
  releaseBuffer(res.state);
  return _sliceOutputs(res.out, job.steps * K, items);
}

/**
 * Overwrites the job's key-derived buffers, and its input if it is still here (a job that never
 * ran: the runner frees it, a worker takes it). @internal
 */
export function _wipeJobV2(job: OnnxJobV2): void {
  _wipeJobBuffers(job);
}
