/**
 * Histograms and grouped sums (`{ op: 'histogram' | 'groupSum', path: <group> }`) on this instance:
 * the group's running slot sums over the dataset's envelopes (`sumGroup`, constant memory), with
 * the same metering and failure audit as sum, mean and count. Called by the aggregate runner of
 * `routes/aggregate.ts`, in-process or as this instance's worker for a job (`PgBossJobs`).
 * @module
 */
import { errorInfo } from '@nqc/core/node';
import { NqcCloudError } from '../errors.js';
import type { EvaluatorCache } from '../evaluators.js';
import type { AggregateOutcome } from '../jobs/index.js';
import type { DatasetRow, Store } from '../store.js';
import { isGroupName } from './groups.js';
import { sumGroup, type GroupAnswer } from './slots.js';

/** The two group operations. */
export const GROUP_OPS: ReadonlySet<string> = new Set(['histogram', 'groupSum']);

/** What {@link runGroup} needs from the server. */
export interface GroupContext {
  readonly store: Pick<Store, 'envelopes' | 'audit'>;
  readonly evaluators: EvaluatorCache;
  /** The server's metering wrapper (`cloud.aggregate` with a security manager). */
  readonly perform: <T>(op: 'cloud.aggregate', task: () => Promise<T>) => Promise<T>;
  /** This instance's id when it works jobs (reported as the worker). */
  readonly instance: string;
}

/**
 * Checks a group name from a request.
 * @param group - the request's `path`
 * @throws NqcCloudError `ERR_CLOUD_BAD_REQUEST`
 */
export function assertGroupName(group: unknown): asserts group is string {
  if (!isGroupName(group)) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"path" expected a field group name (letters, digits, _ - +)');
}

/**
 * Computes a histogram or grouped sum: the outcome carries one part per group key (`kind: 'slots'`),
 * the number of envelopes and who signed them. A refusal is audited (`aggregate.fail`) and thrown.
 * @param ctx - the server's store, evaluators and metering
 * @param d - the dataset
 * @param op - `histogram` or `groupSum`
 * @param group - the group name
 * @throws NqcCloudError (`ERR_CLOUD_BAD_REQUEST`, `ERR_CLOUD_UNENROLLED_WRITER`, `ERR_CLOUD_OVERFLOW`, ...)
 */
export async function runGroup(ctx: GroupContext, d: DatasetRow, op: string, group: unknown): Promise<AggregateOutcome> {
  const { store } = ctx;
  assertGroupName(group);
  const started = performance.now();
  let result: GroupAnswer;
  try {
    result = await ctx.perform('cloud.aggregate', () => ctx.evaluators.use(d.id, d.bundle, (ev) => sumGroup(store.envelopes(d.id), group, d.writers, ev)));
  } catch (err) {
    await store.audit('aggregate.fail', d.id, { op, path: group, code: errorInfo(err).code });
    throw err;
  }
  const serverMs = Math.round((performance.now() - started) * 10) / 10;
  const bytes = result.parts.reduce((n, p) => n + p.bytes, 0);
  return { result: { kind: 'slots', group, parts: result.parts, bytes }, envelopes: result.envelopes, signedBy: result.signedBy, serverMs, worker: ctx.instance };
}
