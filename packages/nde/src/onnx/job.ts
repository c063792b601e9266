import { NDE_BLOCK_SIZE } from '../constants.js';
import { _deriveIv, type NdeParams } from '../derive.js';
import type { NdeChunk } from '../types.js';
import { _copyWeights, _padChunks, _sliceOutputs, _wipeJobBuffers } from './job-buffers.js';

const N = NDE_BLOCK_SIZE;

/**
 * One `session.run`: a batch of chunks laid out as the model's `data` input [batch, blocks, 128],
 * zero-padded to the longest chunk. Plain data only: it is posted to worker threads as is.
 * @internal
 */
export interface OnnxJob {
  batch: number;
  blocks: number;
  data: Uint8Array;
  iv: Uint8Array;
  w1: Uint8Array;
  z1: Uint8Array;
  w2: Uint8Array;
  z2: Uint8Array;
  decrypt: boolean;
}

/** Packs chunks (all non-empty) into a job. @internal */
export function _packJob(params: NdeParams, items: readonly NdeChunk[], decrypt: boolean): OnnxJob {
  const { steps: blocks, data } = _padChunks(items, N);
  const iv = new Uint8Array(items.length * N);
  items.forEach((it, b) => _deriveIv(params.prk, it.index, iv, b * N));
  return { batch: items.length, blocks, data, iv, ..._copyWeights(params), decrypt };
}

/**
 * Cuts the model's output back into per-chunk results (see {@link _sliceOutputs}); takes ownership
 * of `out`, which is wiped, padding included, and freed.
 * @internal
 */
export function _unpackJob(job: OnnxJob, out: Uint8Array, items: readonly NdeChunk[]): Uint8Array[] {
  return _sliceOutputs(out, job.blocks * N, items);
}

/**
 * Overwrites the job's key-derived buffers, and its input if it is still here (a job that never
 * ran: the runner frees it, a worker takes it). @internal
 */
export function _wipeJob(job: OnnxJob): void {
  _wipeJobBuffers(job);
}
