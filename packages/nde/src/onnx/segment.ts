/**
 * Large chunks in segments: onnxruntime's Scan needs about 4x its input in working memory (it
 * transposes the input and the output, and the result is copied out to JavaScript), so one
 * `session.run` over a 16 MiB chunk (the format allows it, and the sender chooses) costs ~66 MiB on
 * top of the chunk. The backend instead runs a chunk longer than {@link _SEGMENT_BLOCKS} blocks one
 * segment at a time, each segment starting from the state the previous one ended in, so per-call
 * memory no longer grows with the sender's chunk size.
 *
 * The v1 model (its bytes are pinned: NDE_MODEL_ID) takes the starting state as its `iv` input but
 * returns only `out`, not the Scan's final state. The state after a block is h' = a1 + c (mod 256),
 * with c the ciphertext block and a1 = sigma(h * (w1 - z1)) the hidden layer. A second run of the same
 * model recovers a1: in decrypt mode the chain of states depends only on (w1, z1), the starting state
 * and the ciphertext (not on w2), so running the segment's ciphertext in decrypt mode with the real
 * (w1, z1) and a "probe" second layer w2 = 60 * I, z2 = 0 gives out = c - sigma(60 * a1), and
 * x -> sigma(60 * x) is a bijection on 0..255 (checked below at load), so a1 = sigma60^-1(c - out).
 * Only the segment's last block is used. The cost: a segmented chunk runs the model twice (decrypting,
 * the probe of a segment and its real run are independent and run side by side on two workers;
 * encrypting, the probe needs the ciphertext and follows the real run). Chunks up to 1 MiB (the
 * default is 64 KiB) are not segmented and cost what they did.
 *
 * A model that also output the Scan's final state (one more graph output) would make the probe
 * unnecessary, but it would be different model bytes, hence a new NDE_MODEL_ID in envelope headers.
 * @internal
 */
import { NDE_BLOCK_SIZE, NDE_MIX, NDE_MIX_SHIFT } from '../constants.js';
import { _deriveIv, type NdeParams } from '../derive.js';
import type { NdeChunk } from '../types.js';
import { releaseBuffer } from '../../worker/onnx-session.mjs';
import { _wipeJob as wipe, type OnnxJob } from './job.js';

const N = NDE_BLOCK_SIZE;

/** Blocks per `session.run` for a segmented chunk: 8192 blocks = 1 MiB (~4-5 MiB of onnxruntime memory). @internal */
export const _SEGMENT_BLOCKS = 8192;

/** Diagonal of the probe's second layer (the smallest factor f for which x -> sigma(f * x) is one-to-one on bytes). */
const PROBE_FACTOR = 60;

const sigma = (acc: number): number => Number(((BigInt(acc) * BigInt(NDE_MIX)) & 0xffffffffn) >> BigInt(NDE_MIX_SHIFT));

/** sigma(60 * x) -> x for every byte x. */
const UNPROBE = (() => {
  const inv = new Int16Array(256).fill(-1);
  for (let x = 0; x < 256; x++) {
    const y = sigma(PROBE_FACTOR * x);
    if (inv[y] !== -1) throw new Error('NDE probe layer is not one-to-one'); // cannot happen for v1's constants
    inv[y] = x;
  }
  return Uint8Array.from(inv);
})();

/** Runs one job (on the pool, a runner, ...) and resolves with the model's `out` bytes. @internal */
export type RunJob = (job: OnnxJob) => Promise<Uint8Array>;

function segmentJob(data: Uint8Array, h: Uint8Array, w1: Uint8Array, z1: Uint8Array, w2: Uint8Array, z2: Uint8Array, decrypt: boolean): OnnxJob {
  const blocks = Math.ceil(data.length / N);
  const padded = new Uint8Array(blocks * N);
  padded.set(data);
  return { batch: 1, blocks, data: padded, iv: new Uint8Array(h), w1: new Uint8Array(w1), z1: new Uint8Array(z1), w2: new Uint8Array(w2), z2: new Uint8Array(z2), decrypt };
}



async function runOnce(run: RunJob, job: OnnxJob): Promise<Uint8Array> {
  try {
    return await run(job);
  } finally {
    wipe(job);
  }
}

/**
 * Encrypts or decrypts one chunk as consecutive segments of `segmentBlocks` blocks; the result equals
 * one run over the whole chunk byte for byte (see the module comment). Everything it reads from its
 * arguments is read before it first awaits: the chunk is copied into the result (each segment's
 * output then replaces its input), so a caller may reuse its buffers at once.
 * @internal
 */
export async function _runSegmented(run: RunJob, params: NdeParams, item: NdeChunk, decrypt: boolean, segmentBlocks = _SEGMENT_BLOCKS): Promise<Uint8Array> {
  const segBytes = segmentBlocks * N;
  // The input snapshot, overwritten segment by segment with the output once the segment's jobs are
  // packed (copied) and its last ciphertext block is used: no second chunk-sized buffer.
  const result = new Uint8Array(item.data);
  const data = result;
  const h = new Uint8Array(N);
  _deriveIv(params.prk, item.index, h, 0);
  // Own copies: between segments another caller's key may replace (and wipe) the cached parameters.
  const w1 = new Uint8Array(params.w1);
  const z1 = new Uint8Array(params.z1);
  const w2 = new Uint8Array(params.w2);
  const z2 = new Uint8Array(params.z2);
  const probeW2 = new Uint8Array(N * N);
  for (let j = 0; j < N; j++) probeW2[j * N + j] = PROBE_FACTOR;
  const probeZ2 = new Uint8Array(N);
  try {
    for (let off = 0; off < data.length; off += segBytes) {
      const seg = data.subarray(off, Math.min(data.length, off + segBytes));
      const last = off + segBytes >= data.length;
      const real = segmentJob(seg, h, w1, z1, w2, z2, decrypt);
      let out: Uint8Array;
      let probe: Uint8Array | undefined;
      if (decrypt) {
        // The ciphertext is the input: probe and real run are independent.
        const p = last ? undefined : runOnce(run, segmentJob(seg, h, w1, z1, probeW2, probeZ2, true));
        [out, probe] = await Promise.all([runOnce(run, real), p]);
      } else {
        out = await runOnce(run, real);
        if (!last) probe = await runOnce(run, segmentJob(out.subarray(0, seg.length), h, w1, z1, probeW2, probeZ2, true));
      }
      if (probe) {
        // Not the last segment: whole blocks. c = the segment's last ciphertext block (decrypting,
        // the input: read before the output overwrites it).
        const at = seg.length - N;
        const c = decrypt ? seg : out;
        for (let j = 0; j < N; j++) {
          const cj = c[at + j]!;
          h[j] = (UNPROBE[(cj - probe[at + j]!) & 0xff]! + cj) & 0xff;
        }
        probe.fill(0);
        releaseBuffer(probe);
      }
      result.set(out.subarray(0, seg.length), off);
      out.fill(0); // the output and its padding (keystream), before it is freed
      releaseBuffer(out);
    }
  } catch (err) {
    result.fill(0);
    throw err;
  } finally {
    for (const b of [h, w1, z1, w2, z2]) b.fill(0);
  }
  return result;
}
