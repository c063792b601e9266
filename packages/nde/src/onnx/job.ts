import { releaseBuffer } from '../../worker/onnx-session.mjs';
import { NDE_BLOCK_SIZE } from '../constants.js';
import { _deriveIv, type NdeParams } from '../derive.js';
import type { NdeChunk } from '../types.js';

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
  let blocks = 0;
  for (const it of items) blocks = Math.max(blocks, Math.ceil(it.data.length / N));
  const stride = blocks * N;
  const data = new Uint8Array(items.length * stride);
  const iv = new Uint8Array(items.length * N);
  items.forEach((it, b) => {
    data.set(it.data, b * stride);
    _deriveIv(params.prk, it.index, iv, b * N);
  });
  // Own copies of the weights: a job may wait in the pool's queue while another caller's key replaces
  // (and wipes) the cached parameters. The caller wipes these copies with _wipeJob when done.
  const { w1, z1, w2, z2 } = params;
  return { batch: items.length, blocks, data, iv, w1: new Uint8Array(w1), z1: new Uint8Array(z1), w2: new Uint8Array(w2), z2: new Uint8Array(z2), decrypt };
}

/**
 * Cuts the model's output back into per-chunk results, copies of exactly each chunk's length (a
 * view would keep the rest of the last block, keystream, readable through its `buffer`); takes
 * ownership of `out`, which is wiped, padding included, and freed.
 * @internal
 */
export function _unpackJob(job: OnnxJob, out: Uint8Array, items: readonly NdeChunk[]): Uint8Array[] {
  const stride = job.blocks * N;
  const outs = items.map((it, b) => out.slice(b * stride, b * stride + it.data.length));
  out.fill(0);
  releaseBuffer(out);
  return outs;
}

/**
 * Overwrites the job's key-derived buffers, and its input if it is still here (a job that never
 * ran: the runner frees it, a worker takes it). @internal
 */
export function _wipeJob(job: OnnxJob): void {
  job.w1.fill(0);
  job.z1.fill(0);
  job.w2.fill(0);
  job.z2.fill(0);
  // Transferred to a worker or freed by a runner: detached, nothing left here.
  if (job.iv.byteLength > 0) job.iv.fill(0);
  if (job.data.byteLength > 0) {
    job.data.fill(0);
    releaseBuffer(job.data);
  }
}
