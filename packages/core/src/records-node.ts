// The Node side of the HE functions: SEAL runs in a worker thread (HeWorkerEvaluator), so that an
// abort on a crafted bundle or ciphertext fails one call and leaves this process's SEAL usable
// (in-process, an abort poisons SEAL for the life of the process: `isSealPoisoned`), and signatures
// are hashed with node:crypto.
import { nodeProvider } from '@nqc/container/node';
import type { HeCiphertext, HeMean } from '@nqc/she';
import {
  aggregateWith,
  extractHeFieldsWith,
  type AggregateOptions,
  type ExtractHeFieldsOptions,
  type HeEnvelopeInput,
  type HePlatform,
} from './records-api.js';

/** Node: node:crypto for hashing, one SEAL worker thread per aggregate started from a bundle. */
const nodeHe: HePlatform = {
  provider: nodeProvider,
  async evaluatorFor(bundle) {
    const { HeWorkerEvaluator } = await import('@nqc/she/node');
    const ev = await HeWorkerEvaluator.create(bundle);
    return { ev, close: () => ev.close() };
  },
};

/**
 * {@link import('./records-api.js').aggregate} for Node. Given a bundle (an `EvaluationBundle` or its
 * encoding) as `evaluator`, SEAL runs in a worker thread started for this call (its start-up cost ~0.75 s more than
 * in-process on a busy 2-core machine; pass a `HeWorkerEvaluator` from `@nqc/she/node` to reuse one): a SEAL abort rejects this
 * call with `ERR_SHE_SEAL_FATAL` and the next call works. An `HeEvaluator` passed in runs in the
 * calling thread, as given.
 * @example
 * ```ts
 * const total = await aggregate(envelopes, { op: 'sum', path: 'age', evaluator: bundleBytes, requireSigners: [clinic] });
 * ```
 */
export function aggregate(
  inputs: Iterable<HeEnvelopeInput | HeCiphertext> | AsyncIterable<HeEnvelopeInput | HeCiphertext>,
  opts: AggregateOptions,
): Promise<HeCiphertext | HeMean | number> {
  return aggregateWith(nodeHe, inputs, opts);
}

/** {@link import('./records-api.js').extractHeFields} for Node (signatures hashed with node:crypto). */
export function extractHeFields(envelope: HeEnvelopeInput, path: string, opts?: ExtractHeFieldsOptions): Promise<HeCiphertext[]> {
  return extractHeFieldsWith(nodeHe, envelope, path, opts);
}
