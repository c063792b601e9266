/**
 * Long v2 chunks in segments. The v2 model returns the Scan's final state beside its output, so a
 * chunk longer than {@link _SEGMENT_STEPS_V2} steps (1 MiB) runs one segment at a time, each starting
 * from the state the previous one returned: onnxruntime's memory per call (about 4x its input: Scan
 * transposes input and output, and the result is copied out) stays bounded whatever chunk size the
 * sender chose, and unlike v1 (segment.ts, which has to re-run each segment to recover the state)
 * a segmented chunk costs what one run would. Segments cut only at step boundaries after full steps,
 * which the spec allows ("Segmenting a chunk"): the bytes are identical to one run.
 * @internal
 */
import { releaseBuffer } from '../../../worker/onnx-session.mjs';
import type { NdeChunk } from '../../types.js';
import { NDE_V2_BLOCK_SIZE as K, NDE_V2_STATE as S } from '../../v2/constants.js';
import { _deriveIvV2, type NdeParamsV2 } from '../../v2/derive.js';
import { _packJobV2, _wipeJobV2, type OnnxJobV2, type OnnxResultV2 } from './job.js';

/** Steps per `session.run` of a segmented chunk: 2048 steps = 1 MiB (~4-5 MiB of onnxruntime memory). @internal */
export const _SEGMENT_STEPS_V2 = 2048;

/** Runs one v2 job (on the pool, a runner, ...). @internal */
export type RunJobV2 = (job: OnnxJobV2) => Promise<OnnxResultV2>;

/**
 * Encrypts or decrypts one chunk as consecutive segments of `segmentSteps` steps, each segment's
 * start state the final state of the one before; equals one run over the whole chunk byte for byte.
 * Everything it reads from its arguments is read before it first awaits: the chunk is copied into the
 * result (each segment's output then replaces its input), so a caller may reuse its buffers at once.
 * @internal
 */
export async function _runSegmentedV2(
  run: RunJobV2,
  params: NdeParamsV2,
  item: NdeChunk,
  decrypt: boolean,
  segmentSteps = _SEGMENT_STEPS_V2,
): Promise<Uint8Array> {
  const segBytes = segmentSteps * K;
  // The input snapshot, overwritten segment by segment with the output (a segment is packed, i.e.
  // copied, before its output lands): no second chunk-sized buffer.
  const result = new Uint8Array(item.data);
  const data = result;
  const state = new Uint8Array(S);
  _deriveIvV2(params.prk, item.index, state, 0);
  // Own copy: between segments another caller's key may replace (and wipe) the cached parameters.
  const own = { prk: new Uint8Array(0), w1: new Uint8Array(params.w1), z1: new Uint8Array(params.z1), w2: new Uint8Array(params.w2), z2: new Uint8Array(params.z2) };
  try {
    for (let off = 0; off < data.length; off += segBytes) {
      const seg = data.subarray(off, Math.min(data.length, off + segBytes));
      const job = _packJobV2(own, [{ index: item.index, data: seg }], decrypt, state);
      let res: OnnxResultV2;
      try {
        res = await run(job);
      } finally {
        _wipeJobV2(job);
      }
      result.set(res.out.subarray(0, seg.length), off);
      // Not the last segment: it was whole steps, so its final state is the next segment's start.
      if (off + segBytes < data.length) state.set(res.state.subarray(0, S));
      // Wiped before they are freed: the output (and its padding: keystream) and the state.
      res.state.fill(0);
      res.out.fill(0);
      releaseBuffer(res.state);
      releaseBuffer(res.out);
    }
  } catch (err) {
    result.fill(0);
    throw err;
  } finally {
    for (const b of [state, own.w1, own.z1, own.w2, own.z2]) b.fill(0);
  }
  return result;
}
