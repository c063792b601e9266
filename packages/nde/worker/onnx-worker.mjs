// Worker thread of the @nqc/nde ONNX pool: owns one InferenceSession (one intra-op thread) and runs
// the jobs the main thread posts. The main thread verified the model bytes against the pinned model id
// of their version (v1 jobs run runJob, v2 jobs, marked `version: 2`, run runJobV2 on the v2 model).
//
// It is never terminated while a run is in progress (onnxruntime-node then aborts the whole process):
// on { type: 'close' } it lets the current run finish, drops queued jobs, releases the session and
// exits by itself.
import { parentPort, workerData } from 'node:worker_threads';
import { runPosted, SESSION_OPTIONS } from './onnx-session.mjs';

const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(workerData.model, SESSION_OPTIONS);

let closing = false;
let running = Promise.resolve();
parentPort.on('message', async (msg) => {
  if (msg.type === 'close') {
    if (closing) return;
    closing = true;
    await running; // the run in progress, if any, finishes first
    await session.release();
    parentPort.close(); // nothing else keeps this thread alive: it exits
    return;
  }
  if (closing) {
    // Dropped: wipe this thread's copy of its weights, start states and input all the same.
    for (const b of [msg.job.w1, msg.job.z1, msg.job.w2, msg.job.z2, msg.job.iv, msg.job.data]) b.fill(0);
    return;
  }
  const run = (async () => {
    try {
      // runPosted wipes this thread's copy of the weights, start states and input, even when the run
      // throws; a v2 job's final state comes back too (small, posted as its own buffer).
      const { out, state } = await runPosted(ort, session, msg.job);
      if (state === undefined) parentPort.postMessage({ id: msg.id, out }, [out.buffer]);
      else parentPort.postMessage({ id: msg.id, out, state }, [out.buffer, state.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: msg.id, error: String(err && err.message ? err.message : err) });
    }
  })();
  running = run;
  await run;
});
parentPort.postMessage({ type: 'ready' });
