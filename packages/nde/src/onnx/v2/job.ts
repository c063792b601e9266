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
  let steps = 0;
  for (const it of items) steps = Math.max(steps, Math.ceil(it.data.length / K));
  const stride = steps * K;
  const data = new Uint8Array(items.length * stride);
  const iv = new Uint8Array(items.length * S);
  items.forEach((it, b) => {
    data.set(it.data, b * stride);
    if (!states) _deriveIvV2(params.prk, it.index, iv, b * S);
  });
  if (states) iv.set(states.subarray(0, items.length * S));
  // Own copies of the weights: a job may wait in the pool's queue while another caller's key replaces
  // (and wipes) the cached parameters. The caller wipes these copies with _wipeJobV2 when done.
  const { w1, z1, w2, z2 } = params;
  return {
    version: 2,
    batch: items.length,
    steps,
    data,
    iv,
    w1: new Uint8Array(w1),
    z1: new Uint8Array(z1),
    w2: new Uint8Array(w2),
    z2: new Uint8Array(z2),
    decrypt,
  };
}

/**
 * Cuts the model's output back into per-chunk results, copies of exactly each chunk's length (a
 * view would keep the rest of the last step, keystream, readable through its `buffer`); takes
 * ownership of `res`: the output, padding included, and the final states are wiped and freed (a
 * caller that wants the states reads them first).
 * @internal
 */
export function _unpackJobV2(job: OnnxJobV2, res: OnnxResultV2, items: readonly NdeChunk[]): Uint8Array[] {
  res.state.fill(0);
  releaseBuffer(res.state);
  const stride = job.steps * K;
  const outs = items.map((it, b) => res.out.slice(b * stride, b * stride + it.data.length));
  res.out.fill(0);
  releaseBuffer(res.out);
  return outs;
}

/**
 * Overwrites the job's key-derived buffers, and its input if it is still here (a job that never
 * ran: the runner frees it, a worker takes it). @internal
 */
export function _wipeJobV2(job: OnnxJobV2): void {
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
