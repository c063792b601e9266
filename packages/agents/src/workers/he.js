// Worker body of the `he` pool: SEAL evaluation through @nqc/she. Workers stay alive (the pool never
// idles them out) and keep one HeEvaluator per evaluation bundle, so SEAL's WASM instance and the
// loaded keys are reused across tasks. After a fatal SEAL failure (WASM abort, bad_alloc: the
// instance must not be used again) the worker exits and the pool starts a fresh one.
import { createHash } from 'node:crypto';
import { decodeCiphertext, encodeCiphertext, EvaluationBundle, HeEvaluator, isSealPoisoned } from '@nqc/she';
import { task } from './_task.js';

/** Most evaluators (bundles) kept loaded per worker. */
const MAX_EVALUATORS = 4;
/** @type {Map<string, Promise<HeEvaluator>>} */
const evaluators = new Map();

/**
 * True for failures after which this worker's SEAL instance is unusable.
 * @param {unknown} e
 */
export function isSealFatal(e) {
  if (isSealPoisoned()) return true;
  if (e instanceof Error && e.name === 'RuntimeError') return true; // WebAssembly.RuntimeError: an Emscripten abort
  return typeof e === 'object' && e !== null && /** @type {{ code?: unknown }} */ (e).code === 'ERR_SHE_SEAL_FATAL';
}

/** @param {Uint8Array} bundle */
async function evaluator(bundle) {
  const id = createHash('sha256').update(bundle).digest('hex');
  let ev = evaluators.get(id);
  if (ev === undefined) {
    if (evaluators.size >= MAX_EVALUATORS) {
      const [oldId, old] = /** @type {[string, Promise<HeEvaluator>]} */ (evaluators.entries().next().value);
      evaluators.delete(oldId);
      void old.then((o) => o.dispose(), () => undefined);
    }
    ev = EvaluationBundle.decode(bundle).then((b) => HeEvaluator.create(b));
    evaluators.set(id, ev);
    ev.catch(() => evaluators.delete(id));
  }
  return ev;
}

/** @typedef {{ bundle: Uint8Array, inputs: Uint8Array[], path: string }} HeTask */

/** @param {Uint8Array[]} inputs */
const decodeAll = (inputs) => inputs.map((b) => decodeCiphertext(b));

export const heSum = task(
  /** @param {HeTask} t */
  async (t) => encodeCiphertext((await evaluator(t.bundle)).sum(decodeAll(t.inputs), t.path)),
  isSealFatal,
);

export const heMean = task(
  /** @param {HeTask} t */
  async (t) => encodeCiphertext((await evaluator(t.bundle)).mean(decodeAll(t.inputs), t.path).sum),
  isSealFatal,
);

export const heCount = task(
  /** @param {HeTask} t */
  async (t) => (await evaluator(t.bundle)).count(decodeAll(t.inputs)),
  isSealFatal,
);
