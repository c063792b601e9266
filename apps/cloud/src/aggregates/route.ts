/**
 * `POST /api/datasets/:id/aggregate` with `{ op: 'histogram' | 'groupSum', path: <group> }`: the
 * answer to a histogram or grouped-sum query, with the same signer statement, audit entries and
 * timings as every other aggregate. Called by `server.ts`.
 * @module
 */
import { errorInfo } from '@nqc/core/node';
import { NqcCloudError } from '../errors.js';
import type { EvaluatorCache } from '../evaluators.js';
import type { DatasetRow, Store } from '../store.js';
import { isGroupName } from './groups.js';
import { sumGroup, type GroupAnswer } from './slots.js';

/** The two group operations. */
export const GROUP_OPS: ReadonlySet<string> = new Set(['histogram', 'groupSum']);

/** What {@link answerGroup} needs from the server. */
export interface GroupContext {
  readonly store: Pick<Store, 'listEnvelopes' | 'envelopes' | 'audit'>;
  readonly dataset: DatasetRow;
  readonly op: string;
  readonly group: unknown;
  readonly evaluators: EvaluatorCache;
  /** The server's metering wrapper (`cloud.aggregate` with a security manager). */
  readonly perform: <T>(op: 'cloud.aggregate', task: () => Promise<T>) => Promise<T>;
}

/**
 * Answers a histogram or grouped-sum query: `{ op, path, result: { kind: 'slots', group, parts }, signers, timings }`.
 * @param ctx - the dataset, the query and the server's store and evaluators
 * @throws NqcCloudError (`ERR_CLOUD_BAD_REQUEST`, `ERR_CLOUD_NO_DATA`, `ERR_CLOUD_UNENROLLED_WRITER`, `ERR_CLOUD_OVERFLOW`, ...)
 */
export async function answerGroup(ctx: GroupContext) {
  const { store, dataset: d, op, group } = ctx;
  if (!isGroupName(group)) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"path" expected a field group name (letters, digits, _ - +)');
  const metas = await store.listEnvelopes(d.id);
  if (metas.length === 0) throw new NqcCloudError('ERR_CLOUD_NO_DATA', 'the dataset has no envelopes yet');
  const started = performance.now();
  let result: GroupAnswer;
  try {
    result = await ctx.perform('cloud.aggregate', () => ctx.evaluators.use(d.id, d.bundle, (ev) => sumGroup(store.envelopes(d.id), group, d.writers, ev)));
  } catch (err) {
    await store.audit('aggregate.fail', d.id, { op, path: group, code: errorInfo(err).code });
    throw err;
  }
  const serverMs = Math.round((performance.now() - started) * 10) / 10;
  const signers = {
    enforced: true as const,
    enrolledWriters: d.writers.length,
    envelopes: result.envelopes,
    statement: `aggregated only the ${result.envelopes} envelope(s) whose ML-DSA signatures verified against the ${d.writers.length} writer(s) the owner enrolled, with additions only (no rotation keys); the server cannot check that the values themselves are honest`,
  };
  const resultBytes = result.parts.reduce((n, p) => n + p.bytes, 0);
  await store.audit('aggregate', d.id, { op, path: group, envelopes: result.envelopes, keys: result.parts.length, resultBytes, serverMs });
  return { op, path: group, result: { kind: result.kind, group, parts: result.parts, bytes: resultBytes }, signers, timings: { serverMs } };
}
