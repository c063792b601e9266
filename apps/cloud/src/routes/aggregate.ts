/**
 * `POST /api/datasets/:id/aggregate` with `{ op, path }`: sum, mean and count of one HE field,
 * histograms and grouped sums of a field group (`src/aggregates/`); in this process, or as a job on
 * the shared queue when there is one (every kind). Every answer carries a {@link SignerStatement}
 * built by `signerStatement` (the enrolled writers and how many envelopes each signed).
 * @module
 */
import { aggregate, errorInfo, inspect } from '@nqc/core/node';
import { encodeCiphertext, type HeCiphertext, type HeMean } from '@nqc/she';
import type { FastifyInstance } from 'fastify';
import { assertReader, userOf } from '../channel/index.js';
import { toBase64 } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import { assertGroupName, GROUP_OPS, runGroup } from '../aggregates/route.js';
import { signerStatement, SignerTally, type SignerStatement } from '../aggregates/signers.js';
import type { AggregateOutcome, AggregateRequest, AggregateRunner } from '../jobs/index.js';
import { checkJobOutcome } from '../jobs/outcome.js';
import type { RouteContext } from './context.js';

export type { SignerStatement, WriterStatement } from '../aggregates/signers.js';

const OPS = new Set(['sum', 'mean', 'count']);

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
 * Any aggregate on this instance (SEAL in the dataset's worker thread): sum, mean, count, or a
 * group's slot sums (`runGroup`). Called in-process, or as this instance's worker for jobs another
 * instance (or this one) enqueued.
 * @param ctx - the server's shared state
 */
export function aggregateRunner(ctx: RouteContext): AggregateRunner {
  const { store, evaluators, perform } = ctx;
  const instance = ctx.jobs?.instance ?? 'local';
  return async ({ datasetId, op, path }: AggregateRequest): Promise<AggregateOutcome> => {
    const d = await ctx.datasetOr404(datasetId);
    if (GROUP_OPS.has(op)) return runGroup({ store, evaluators, perform, instance }, d, op, path);
    if (!OPS.has(op)) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"op" expected sum, mean, count, histogram or groupSum');
    let envelopes = 0;
    const signers = new SignerTally();
    async function* stored() {
      for await (const b of store.envelopes(d.id)) {
        envelopes++;
        // The signer the header names; `aggregate` verifies the signature against it and refuses
        // unless it is enrolled, so once the aggregate succeeded these are the verified signers.
        signers.add(await inspect(b).then((i) => i.signer?.verifyingKey, () => undefined)); // a bad envelope: `aggregate` says why
        yield b;
      }
    }
    const started = performance.now();
    let result: HeCiphertext | HeMean | number;
    try {
      result = await perform('cloud.aggregate', () => evaluators.use(d.id, d.bundle, (evaluator) => aggregate(stored(), { op: op as 'sum' | 'mean' | 'count', path, evaluator, requireSigners: [...d.writers] })));
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
    return { result: encodedResult(result), envelopes, signedBy: signers.toJSON(), serverMs, worker: instance };
  };
}

/**
 * Registers the aggregate route.
 * @param app - the server
 * @param ctx - the server's shared state
 * @param runAggregate - the in-process runner ({@link aggregateRunner}), used without a job queue
 */
export function aggregateRoutes(app: FastifyInstance, ctx: RouteContext, runAggregate: AggregateRunner): void {
  const { store, jobs } = ctx;
  app.post<{ Params: { id: string } }>('/api/datasets/:id/aggregate', async (req) => {
    const d = await ctx.datasetOr404(req.params.id);
    assertReader(d, userOf(req));
    const body = req.body as { op?: unknown; path?: unknown } | undefined;
    const op = body?.op;
    const path = body?.path;
    const group = typeof op === 'string' && GROUP_OPS.has(op);
    if (!group && (typeof op !== 'string' || !OPS.has(op))) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"op" expected sum, mean, count, histogram or groupSum');
    // Histograms and grouped sums name a field group (additions only, src/aggregates/).
    if (group) assertGroupName(path);
    else if (typeof path !== 'string' || path.length === 0 || path.length > 200) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"path" expected a field path');
    if ((await store.listEnvelopes(d.id)).length === 0) throw new NqcCloudError('ERR_CLOUD_NO_DATA', 'the dataset has no envelopes yet');
    const request: AggregateRequest = { datasetId: d.id, op: op as AggregateRequest['op'], path: path as string };
    // A job's outcome is the shared queue's word: checked strictly against the request and the writers.
    const out = jobs ? checkJobOutcome(request, d.writers, await jobs.run(request)) : await runAggregate(request);
    const { serverMs, envelopes } = out;
    const signers: SignerStatement = signerStatement(d.writers, envelopes, out.signedBy, group);
    const encoded = out.result;
    const worker = jobs ? { worker: out.worker } : {};
    const keys = encoded.kind === 'slots' ? { keys: encoded.parts.length } : {};
    await store.audit('aggregate', d.id, { op, path, envelopes, ...keys, resultBytes: 'bytes' in encoded ? encoded.bytes : 0, serverMs, ...worker });
    return { op, path, result: encoded, signers, timings: { serverMs, ...worker } };
  });
}
