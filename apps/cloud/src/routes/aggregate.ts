/**
 * `POST /api/datasets/:id/aggregate` with `{ op, path }`: sum, mean and count of one HE field (in
 * this process or as a job on the shared queue), histograms and grouped sums (`src/aggregates/`).
 * Every answer carries a {@link SignerStatement}.
 * @module
 */
import { aggregate, errorInfo } from '@nqc/core/node';
import { encodeCiphertext, type HeCiphertext, type HeMean } from '@nqc/she';
import type { FastifyInstance } from 'fastify';
import { assertReader, userOf } from '../channel/index.js';
import { toBase64 } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import { answerGroup, GROUP_OPS } from '../aggregates/route.js';
import type { AggregateOutcome, AggregateRequest, AggregateRunner } from '../jobs/index.js';
import type { RouteContext } from './context.js';

const OPS = new Set(['sum', 'mean', 'count']);

/** What every aggregate answer says about the signatures it relied on. */
export interface SignerStatement {
  /** Always true: envelopes are aggregated only after their signatures verified. */
  readonly enforced: true;
  /** How many writers the owner enrolled. */
  readonly enrolledWriters: number;
  /** How many envelopes were verified and aggregated. */
  readonly envelopes: number;
  /** The same in words. */
  readonly statement: string;
}

function encodedResult(r: HeCiphertext | HeMean | number) {
  if (typeof r === 'number') return { kind: 'count' as const, value: r };
  if ('ciphertext' in r) {
    const bytes = encodeCiphertext(r);
    return { kind: 'sum' as const, ciphertext: toBase64(bytes), bytes: bytes.byteLength };
  }
  const bytes = encodeCiphertext(r.sum);
  return { kind: 'mean' as const, sum: toBase64(bytes), count: r.count, bytes: bytes.byteLength };
}

/**
 * Sum, mean or count on this instance (SEAL in the dataset's worker thread): called in-process, or
 * as this instance's worker for jobs another instance (or this one) enqueued.
 * @param ctx - the server's shared state
 */
export function aggregateRunner(ctx: RouteContext): AggregateRunner {
  const { store, evaluators, perform } = ctx;
  return async ({ datasetId, op, path }: AggregateRequest): Promise<AggregateOutcome> => {
    const d = await ctx.datasetOr404(datasetId);
    if (!OPS.has(op)) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"op" expected sum, mean or count');
    let envelopes = 0;
    async function* stored() {
      for await (const b of store.envelopes(d.id)) {
        envelopes++;
        yield b;
      }
    }
    const started = performance.now();
    let result: HeCiphertext | HeMean | number;
    try {
      result = await perform('cloud.aggregate', () => evaluators.use(d.id, d.bundle, (evaluator) => aggregate(stored(), { op, path, evaluator, requireSigners: [...d.writers] })));
    } catch (err) {
      const info = errorInfo(err);
      await store.audit('aggregate.fail', d.id, { op, path, code: info.code });
      if (info.code === 'ERR_CORE_HE_FIELD') throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `no HE field "${path}" in this dataset`, info.code);
      // The declared ranges times the record count exceed the plain modulus: a property of the query.
      if (info.code === 'ERR_SHE_OVERFLOW') throw new NqcCloudError('ERR_CLOUD_OVERFLOW', `${op} of "${path}" could overflow: ${info.message}`, info.code);
      // A bundle made without the slot-sum rotation keys (additions only): a property of the query too.
      if (info.code === 'ERR_SHE_UNSUPPORTED') throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `${op} of "${path}" is not possible with this dataset's evaluation bundle: ${info.message}`, info.code);
      throw envelopeError(err, 'a stored envelope');
    }
    const serverMs = Math.round((performance.now() - started) * 10) / 10;
    return { result: encodedResult(result), envelopes, serverMs, worker: ctx.jobs?.instance ?? 'local' };
  };
}

/**
 * Registers the aggregate route.
 * @param app - the server
 * @param ctx - the server's shared state
 * @param runAggregate - the in-process runner ({@link aggregateRunner}), used without a job queue
 */
export function aggregateRoutes(app: FastifyInstance, ctx: RouteContext, runAggregate: AggregateRunner): void {
  const { store, evaluators, perform, jobs } = ctx;
  app.post<{ Params: { id: string } }>('/api/datasets/:id/aggregate', async (req) => {
    const d = await ctx.datasetOr404(req.params.id);
    assertReader(d, userOf(req));
    const body = req.body as { op?: unknown; path?: unknown } | undefined;
    const op = body?.op;
    const path = body?.path;
    // Histograms and grouped sums: additions only, in src/aggregates/.
    if (typeof op === 'string' && GROUP_OPS.has(op)) return answerGroup({ store, dataset: d, op, group: path, evaluators, perform });
    if (typeof op !== 'string' || !OPS.has(op)) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"op" expected sum, mean, count, histogram or groupSum');
    if (typeof path !== 'string' || path.length === 0 || path.length > 200) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"path" expected a field path');
    if ((await store.listEnvelopes(d.id)).length === 0) throw new NqcCloudError('ERR_CLOUD_NO_DATA', 'the dataset has no envelopes yet');
    const request: AggregateRequest = { datasetId: d.id, op: op as AggregateRequest['op'], path };
    const out = jobs ? await jobs.run(request) : await runAggregate(request);
    const { serverMs, envelopes } = out;
    const signers: SignerStatement = {
      enforced: true,
      enrolledWriters: d.writers.length,
      envelopes,
      statement: `aggregated only the ${envelopes} envelope(s) whose ML-DSA signatures verified against the ${d.writers.length} writer(s) the owner enrolled; the server cannot check that the values themselves are honest`,
    };
    const encoded = out.result;
    await store.audit('aggregate', d.id, { op, path, envelopes, resultBytes: 'bytes' in encoded ? encoded.bytes : 0, serverMs, ...(jobs ? { worker: out.worker } : {}) });
    return { op, path, result: encoded, signers, timings: { serverMs, ...(jobs ? { worker: out.worker } : {}) } };
  });
}
