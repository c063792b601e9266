// Bookkeeping for running sums: which `sum` results this process's evaluators returned, and what
// they stand for. A result's own metadata (count, bounds) is unauthenticated plain data, so an
// earlier sum is accepted back only if it is the very (frozen) object an evaluator returned; its
// entry here gives the exact number of fresh inputs folded in (for the noise check) and the field
// it sums (for the bounds). Weakly held: entries go with their results.
import type { HeCiphertext, HeLayout, HeValueInfo } from './format.js';

/** @internal What an earlier `sum` result stands for. */
export interface RunningSum {
  /** Fresh input ciphertexts folded in so far (the noise model counts these). */
  readonly inputs: number;
  readonly layout: HeLayout;
  /** The summed field's descriptor in the inputs (slot, type, decimals, bounds). */
  readonly field: HeValueInfo;
}

const made = new WeakMap<HeCiphertext, RunningSum>();

/** @internal Records that `ct` (a frozen result object) is a sum standing for `r`. */
export function noteRunning(ct: HeCiphertext, r: RunningSum): void {
  made.set(ct, Object.freeze({ inputs: r.inputs, layout: r.layout, field: Object.freeze({ ...r.field }) }));
}

/** @internal The entry of a result an evaluator returned, or undefined. */
export function runningOf(ct: HeCiphertext): RunningSum | undefined {
  return typeof ct === 'object' && ct !== null ? made.get(ct) : undefined;
}
