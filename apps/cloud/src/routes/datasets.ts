/**
 * Dataset routes: `POST /api/datasets` (the creator owns it; writers, readers and the HE evaluation
 * bundle), `GET /api/datasets` (the caller's datasets), `GET /api/datasets/:id`.
 * @module
 */
import { errorInfo } from '@nqc/core/node';
import { parseVerifyingKey } from '@nqc/pql';
import { HeWorkerEvaluator } from '@nqc/she/node';
import type { FastifyInstance } from 'fastify';
import { assertMember, userOf, verifyingKeys } from '../channel/index.js';
import { fromBase64, newId } from '../codec.js';
import { NqcCloudError } from '../errors.js';
import type { DatasetRow, DatasetSummary, EnvelopeMeta } from '../store.js';
import type { RouteContext } from './context.js';

/**
 * A dataset as answered to its members: public keys, sizes and counts, never the bundle's bytes.
 * @param d - the dataset (with its bundle, or a summary with the bundle's size)
 * @param envelopes - its envelopes' metadata
 */
export function datasetView(d: DatasetRow | DatasetSummary, envelopes: readonly EnvelopeMeta[]) {
  return {
    id: d.id,
    name: d.name,
    owner: d.owner,
    readers: d.readers,
    writers: d.writers,
    heKeyId: d.heKeyId,
    bundleBytes: 'bundle' in d ? d.bundle.byteLength : d.bundleBytes,
    createdAt: d.createdAt,
    envelopes: envelopes.length,
    envelopeBytes: envelopes.reduce((n, e) => n + e.size, 0),
    records: envelopes.reduce((n, e) => n + e.records, 0),
  };
}

/**
 * Registers the dataset routes.
 * @param app - the server
 * @param ctx - the server's shared state
 */
export function datasetRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, evaluators, maxWriters, maxDatasetsPerOwner } = ctx;

  app.post('/api/datasets', { bodyLimit: ctx.maxDatasetBytes }, async (req, reply) => {
    const owner = userOf(req); // the creator owns the dataset
    // Before the bundle is parsed or a SEAL worker started. Concurrent creations may pass together (at most a few over).
    if ((await store.countDatasetsOwnedBy(owner)) >= maxDatasetsPerOwner) throw new NqcCloudError('ERR_CLOUD_QUOTA', `this key already owns ${maxDatasetsPerOwner} datasets, the most allowed`);
    const body = req.body as { name?: unknown; writers?: unknown; readers?: unknown; bundle?: unknown } | undefined;
    if (typeof body !== 'object' || body === null) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', 'expected a JSON object { name, writers, readers?, bundle }');
    const name = body.name ?? 'dataset';
    if (typeof name !== 'string' || name.length > 200) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"name" expected a string of at most 200 characters');
    if (!Array.isArray(body.writers) || body.writers.length === 0 || body.writers.length > maxWriters) {
      throw new NqcCloudError('ERR_CLOUD_BAD_WRITER', `"writers" expected 1 to ${maxWriters} verifying keys (nqc-pub-...)`);
    }
    const writers = body.writers.map((w, i) => {
      if (typeof w !== 'string' || !w.startsWith('nqc-pub-')) throw new NqcCloudError('ERR_CLOUD_BAD_WRITER', `writers[${i}] is not a verifying key (nqc-pub-...); secret keys are never accepted`);
      try {
        return parseVerifyingKey(w).toString();
      } catch (e) {
        throw new NqcCloudError('ERR_CLOUD_BAD_WRITER', `writers[${i}]: ${errorInfo(e).message}`, errorInfo(e).code);
      }
    });
    const readers = verifyingKeys(body.readers, 'readers', maxWriters);
    const bundle = fromBase64(body.bundle, 'bundle');
    let ev: HeWorkerEvaluator;
    try {
      ev = await HeWorkerEvaluator.create(bundle);
    } catch (e) {
      const info = errorInfo(e);
      throw new NqcCloudError('ERR_CLOUD_BAD_BUNDLE', `"bundle" is not an HE evaluation bundle: ${info.message}`, info.code);
    }
    const row: DatasetRow = { id: newId(), name, owner, readers, writers: [...new Set(writers)], bundle, heKeyId: ev.keyId, createdAt: new Date().toISOString() };
    await store.createDataset(row);
    evaluators.adopt(row.id, ev);
    await store.audit('dataset.create', row.id, { writers: row.writers.length, bundleBytes: bundle.byteLength, heKeyId: row.heKeyId });
    return reply.status(201).send(datasetView(row, []));
  });

  app.get('/api/datasets', async (req) => {
    const user = userOf(req); // only the datasets this key owns, reads or writes, selected by the store, without bundles
    return { datasets: await Promise.all((await store.listDatasetsOf(user)).map(async (d) => datasetView(d, await store.listEnvelopes(d.id)))) };
  });

  app.get<{ Params: { id: string } }>('/api/datasets/:id', async (req) => {
    const d = await ctx.datasetOr404(req.params.id);
    assertMember(d, userOf(req));
    return datasetView(d, await store.listEnvelopes(d.id));
  });
}
