// Runs one NDE job on an onnxruntime-node session. Plain JavaScript on purpose: it is loaded by worker
// threads, which cannot run the TypeScript sources (tests run from src/), and by the in-process runner.
//
// session.run returns a Promise but blocks the JS thread while the native kernel runs, so parallelism
// comes from worker threads, each with a single intra-op thread.

/** Session options: one thread, sequential, quiet (ORT warns about nothing useful here). */
export const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

// A message to a closed port is dropped at once, and the buffers it transferred with it.
const { port1: sink, port2: sinkPeer } = new MessageChannel();
sinkPeer.close();
sink.unref();

/**
 * Frees the memory of a buffer this code owns now, instead of at the isolate's next garbage collection:
 * transferring detaches it (every view of it reads as empty afterwards) and the message that carries
 * it is dropped. Chunk-sized buffers (up to 16 MiB per job) otherwise pile up as garbage, above all in
 * worker threads, which allocate little JavaScript and so collect rarely. Only for a view that covers
 * its whole ArrayBuffer (never a Buffer from Node's pool); anything that cannot be transferred is left
 * to the garbage collector.
 * @param {Uint8Array} bytes
 */
export function releaseBuffer(bytes) {
  const buf = bytes.buffer;
  if (!(buf instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buf.byteLength || buf.byteLength === 0) return;
  try {
    sink.postMessage(null, [buf]);
  } catch {
    // not transferable (e.g. memory owned by native code): the garbage collector frees it
  }
}

/**
 * @param {typeof import('onnxruntime-node')} ort
 * @param {import('onnxruntime-node').InferenceSession} session
 * @param {{batch:number,blocks:number,data:Uint8Array,iv:Uint8Array,w1:Uint8Array,z1:Uint8Array,w2:Uint8Array,z2:Uint8Array,decrypt:boolean}} job
 * @returns {Promise<Uint8Array>} the `out` tensor's bytes, [batch, blocks, 128]
 */
export async function runJob(ort, session, job) {
  const n = 128;
  // A Scan over a batch of 0 (or 0 blocks) kills the process with SIGFPE inside onnxruntime 1.30:
  // never let such a job reach the native code.
  if (!(job.batch > 0 && job.blocks > 0)) throw new Error(`empty job (batch=${job.batch}, blocks=${job.blocks})`);
  const feeds = {
    data: new ort.Tensor('uint8', job.data, [job.batch, job.blocks, n]),
    iv: new ort.Tensor('uint8', job.iv, [job.batch, n]),
    w1: new ort.Tensor('uint8', job.w1, [n, n]),
    z1: new ort.Tensor('uint8', job.z1, [n]),
    w2: new ort.Tensor('uint8', job.w2, [n, n]),
    z2: new ort.Tensor('uint8', job.z2, [n]),
    decrypt: new ort.Tensor('bool', new Uint8Array([job.decrypt ? 1 : 0]), []),
  };
  const result = await session.run(feeds, ['out']);
  const out = result.out;
  const bytes = /** @type {Uint8Array} */ (out.data);
  if (!(bytes instanceof Uint8Array) || bytes.length !== job.data.length) {
    wipe(bytes);
    throw new Error(`model returned ${out.type} of ${bytes.length} elements, expected uint8 of ${job.data.length}`);
  }
  return bytes;
}

/** Overwrites an output this code will not return (keystream, padding, states). */
function wipe(bytes) {
  if (ArrayBuffer.isView(bytes)) new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).fill(0);
}

/**
 * `bytes` as a view of its whole buffer, so that transferring the buffer moves nothing else: itself,
 * or (when onnxruntime hands out a view into something larger) a copy, the original wiped.
 * @param {Uint8Array} bytes
 */
function whole(bytes) {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const copy = bytes.slice();
  wipe(bytes);
  return copy;
}

/**
 * Runs a job posted to a worker thread (v1, or v2 when marked `version: 2`). Whether the run
 * succeeds or throws, this thread's copies of the weights and start states are wiped, and its copy
 * of the input wiped and freed. Resolves with outputs that each cover their whole buffer, ready to be
 * transferred (their buffers move to the main thread, which wipes them after cutting out the results).
 * @param {typeof import('onnxruntime-node')} ort
 * @param {import('onnxruntime-node').InferenceSession} session
 * @param {any} job
 * @returns {Promise<{out: Uint8Array, state?: Uint8Array}>}
 */
export async function runPosted(ort, session, job) {
  try {
    if (job.version === 2) {
      const { out, state } = await runJobV2(ort, session, job);
      return { out: whole(out), state: whole(state) };
    }
    return { out: whole(await runJob(ort, session, job)) };
  } finally {
    for (const b of [job.w1, job.z1, job.w2, job.z2, job.iv, job.data]) wipe(b);
    releaseBuffer(job.data);
    releaseBuffer(job.iv);
  }
}

/**
 * Runs one NDE v2 job (model/nde-v2.onnx): 512-byte steps, 64-byte state, and the Scan's final state
 * as a second output, which a segmented run feeds to the next segment as its `iv`.
 * @param {typeof import('onnxruntime-node')} ort
 * @param {import('onnxruntime-node').InferenceSession} session
 * @param {{version:2,batch:number,steps:number,data:Uint8Array,iv:Uint8Array,w1:Uint8Array,z1:Uint8Array,w2:Uint8Array,z2:Uint8Array,decrypt:boolean}} job
 * @returns {Promise<{out: Uint8Array, state: Uint8Array}>} `out` [batch, steps, 512], `state` [batch, 64]
 */
export async function runJobV2(ort, session, job) {
  const K = 512;
  const S = 64;
  const H = 64;
  const O = K + S;
  // As for v1: a Scan over an empty batch or zero steps must never reach the native code.
  if (!(job.batch > 0 && job.steps > 0)) throw new Error(`empty job (batch=${job.batch}, steps=${job.steps})`);
  const feeds = {
    data: new ort.Tensor('uint8', job.data, [job.batch, job.steps, K]),
    iv: new ort.Tensor('uint8', job.iv, [job.batch, S]),
    w1: new ort.Tensor('uint8', job.w1, [S, H]),
    z1: new ort.Tensor('uint8', job.z1, [H]),
    w2: new ort.Tensor('uint8', job.w2, [H, O]),
    z2: new ort.Tensor('uint8', job.z2, [O]),
    decrypt: new ort.Tensor('bool', new Uint8Array([job.decrypt ? 1 : 0]), []),
  };
  const result = await session.run(feeds, ['out', 'state']);
  const out = /** @type {Uint8Array} */ (result.out.data);
  const state = /** @type {Uint8Array} */ (result.state.data);
  if (!(out instanceof Uint8Array) || out.length !== job.data.length || !(state instanceof Uint8Array) || state.length !== job.batch * S) {
    wipe(out);
    wipe(state);
    throw new Error(`model returned out of ${out.length} and state of ${state.length} elements, expected uint8 of ${job.data.length} and ${job.batch * S}`);
  }
  return { out, state };
}
