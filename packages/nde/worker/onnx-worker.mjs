// Worker thread of the @nqc/nde ONNX pool: owns one InferenceSession (one intra-op thread) and runs
// the jobs the main thread posts. The main thread verified the model bytes against the pinned model id
// of their version (v1 jobs run runJob, v2 jobs, marked `version: 2`, run runJobV2 on the v2 model).
//
// It is never terminated while a run is in progress (onnxruntime-node then aborts the whole process):
// on { type: 'close' } it lets the current run finish, drops queued jobs, releases the session and
// exits by itself.
import { parentPort, workerData } from 'node:worker_threads';
import { releaseBuffer, runJob, runJobV2, SESSION_OPTIONS } from './onnx-session.mjs';

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
  if (closing) return;
  const run = (async () => {
    try {
      // v2: the Scan's final state comes back too (it is small and posted as its own buffer).
      const { out, state } = msg.job.version === 2 ? await runJobV2(ort, session, msg.job) : { out: await runJob(ort, session, msg.job), state: undefined };
      // Wipe the copy of the weights this worker received.
      msg.job.w1.fill(0);
      msg.job.w2.fill(0);
      msg.job.z1.fill(0);
      msg.job.z2.fill(0);
      msg.job.iv.fill(0);
      // The job's input (a chunk-sized copy transferred here) is done with: free it now, not at this
      // thread's next garbage collection.
      releaseBuffer(msg.job.data);
      releaseBuffer(msg.job.iv);
      if (state === undefined) parentPort.postMessage({ id: msg.id, out }, [out.buffer]);
      else {
        const st = state.slice(); // own buffer (never shared with `out`, whose buffer moves to the main thread)
        parentPort.postMessage({ id: msg.id, out, state: st }, [out.buffer, st.buffer]);
      }
    } catch (err) {
      parentPort.postMessage({ id: msg.id, error: String(err && err.message ? err.message : err) });
    }
  })();
  running = run;
  await run;
});
parentPort.postMessage({ type: 'ready' });
