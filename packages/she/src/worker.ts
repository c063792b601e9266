// Worker-thread body for @nqc/she/node: holds one HeEvaluator and answers requests with encoded bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeCiphertext, encodeCiphertext, type HeCiphertext } from './format.js';
import { EvaluationBundle } from './keys.js';
import { HeEvaluator } from './evaluator.js';
import { NqcSheError } from './errors.js';
import { noteRunning, runningOf, type RunningSum } from './_running.js';

interface Request {
  readonly id: number;
  readonly op: 'sum' | 'sumSlots' | 'mean' | 'weightedSum' | 'sumOfSquares' | 'product' | 'count';
  readonly inputs: readonly Uint8Array[];
  readonly path: string;
  readonly path2?: string;
  readonly weights?: readonly number[];
  /** What an earlier sum passed first stands for (sent by HeWorkerEvaluator, same process). */
  readonly prev?: RunningSum;
}

const port = parentPort!;
const errorOf = (e: unknown): { code: string; message: string } =>
  e instanceof NqcSheError ? { code: e.code, message: e.message } : { code: 'ERR_SHE_SEAL', message: e instanceof Error ? e.message : String(e) };

try {
  const ev = await HeEvaluator.create(await EvaluationBundle.decode(workerData.bundle as Uint8Array));
  port.on('message', (m: Request) => {
    // Test hook: die the way a trapped WASM instance takes the worker down.
    if ((m.op as string) === '__crash__') process.exit(70);
    try {
      const cts = m.inputs.map((b) => decodeCiphertext(b));
      if (m.prev && cts[0]?.kind === 'result' && (m.op === 'sum' || m.op === 'mean' || m.op === 'sumSlots')) noteRunning(cts[0], m.prev);
      const answer = (ct: HeCiphertext): { bytes: Uint8Array[]; running?: RunningSum } => ({ bytes: [encodeCiphertext(ct)], running: runningOf(ct) });
      let result: Uint8Array[] | number | { bytes: Uint8Array[]; running?: RunningSum };
      switch (m.op) {
        case 'count':
          result = ev.count(cts);
          break;
        case 'sum':
          result = answer(ev.sum(cts, m.path));
          break;
        case 'sumSlots':
          result = answer(ev.sumSlots(cts, m.path));
          break;
        case 'mean':
          result = answer(ev.mean(cts, m.path).sum);
          break;
        case 'weightedSum':
          result = [encodeCiphertext(ev.weightedSum(cts, m.path, m.weights ?? []))];
          break;
        case 'sumOfSquares':
          result = [encodeCiphertext(ev.sumOfSquares(cts, m.path))];
          break;
        case 'product':
          result = ev.product(cts, m.path, m.path2 ?? '').map(encodeCiphertext);
          break;
        default:
          throw new NqcSheError('ERR_SHE_INPUT', 'unknown worker operation');
      }
      port.postMessage({ id: m.id, result });
    } catch (e) {
      port.postMessage({ id: m.id, error: errorOf(e) });
    }
  });
  port.postMessage({ id: 0, ready: true });
} catch (e) {
  port.postMessage({ id: 0, error: errorOf(e) });
}
