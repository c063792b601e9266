// Worker thread of the @nqc/nde WebAssembly pool: instantiates the module the main thread compiled
// (workerData.module, a WebAssembly.Module: compiled once per process) and runs the jobs it is
// posted, one at a time, in place; each job's buffers come and go as transfers (no copies).
// On { type: 'close' } it wipes its kernel memory and exits by itself.
import { parentPort, workerData } from 'node:worker_threads';
import { NdeWasmKernel } from './kernel.mjs';

const kernel = await NdeWasmKernel.create(workerData.module);

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    kernel.wipe();
    parentPort.close(); // nothing else keeps this thread alive: it exits
    return;
  }
  const { id, job } = msg;
  try {
    const data = kernel.run(job);
    parentPort.postMessage({ id, data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message ? err.message : err) });
  } finally {
    // This thread's copies of the weights and start states.
    job.w1.fill(0);
    job.z1.fill(0);
    job.w2.fill(0);
    job.z2.fill(0);
    job.ivs.fill(0);
  }
});
parentPort.postMessage({ type: 'ready' });
