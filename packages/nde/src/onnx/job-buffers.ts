/**
 * Buffer plumbing shared by the v1 and v2 ONNX jobs (job.ts, v2/job.ts): chunks laid out as the
 * model's zero-padded `data` input, own copies of the weights, per-chunk copies of the output, and
 * wiping. The versions differ only in their step size and start-state length.
 */
import { releaseBuffer } from '../../worker/onnx-session.mjs';
import type { _KeyTensors } from '../key-schedule.js';
import type { NdeChunk } from '../types.js';

/** The key-derived weights a job carries. @internal */
export interface _JobWeights {
  w1: Uint8Array;
  z1: Uint8Array;
  w2: Uint8Array;
  z2: Uint8Array;
}

/**
 * Lays chunks out as `[batch, steps, stepBytes]`, each zero-padded to the longest chunk's whole steps.
 * @internal
 */
export function _padChunks(items: readonly NdeChunk[], stepBytes: number): { steps: number; data: Uint8Array } {
  let steps = 0;
  for (const it of items) steps = Math.max(steps, Math.ceil(it.data.length / stepBytes));
  const stride = steps * stepBytes;
  const data = new Uint8Array(items.length * stride);
  items.forEach((it, b) => data.set(it.data, b * stride));
  return { steps, data };
}

/**
 * Own copies of the weights: a job may wait in the pool's queue while another caller's key replaces
 * (and wipes) the cached parameters. The caller wipes them with {@link _wipeJobBuffers} when done.
 * @internal
 */
export function _copyWeights({ w1, z1, w2, z2 }: _KeyTensors): _JobWeights {
  return { w1: new Uint8Array(w1), z1: new Uint8Array(z1), w2: new Uint8Array(w2), z2: new Uint8Array(z2) };
}

/**
 * Cuts a model output of `stride` bytes per chunk back into per-chunk results, copies of exactly each
 * chunk's length (a view would keep the rest of the last step, keystream, readable through its
 * `buffer`); takes ownership of `out`, which is wiped, padding included, and freed.
 * @internal
 */
export function _sliceOutputs(out: Uint8Array, stride: number, items: readonly NdeChunk[]): Uint8Array[] {
  const outs = items.map((it, b) => out.slice(b * stride, b * stride + it.data.length));
  out.fill(0);
  releaseBuffer(out);
  return outs;
}

/**
 * Overwrites a job's key-derived buffers, and its input if it is still here (a job that never ran:
 * the runner frees it, a worker takes it). @internal
 */
export function _wipeJobBuffers(job: _JobWeights & { iv: Uint8Array; data: Uint8Array }): void {
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
