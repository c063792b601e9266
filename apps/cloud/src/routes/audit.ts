/**
 * `GET /api/audit?dataset=<id>&since=<n>&limit=<n>`: a dataset's audit log, for its owner and readers.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { assertReader, userOf } from '../channel/index.js';
import { NqcCloudError } from '../errors.js';
import type { RouteContext } from './context.js';

/**
 * Registers the audit route.
 * @param app - the server
 * @param ctx - the server's shared state
 */
export function auditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { dataset?: string; since?: string; limit?: string } }>('/api/audit', async (req) => {
    const since = req.query.since === undefined ? 0 : Number(req.query.since);
    const limit = req.query.limit === undefined ? 200 : Number(req.query.limit);
    if (!Number.isSafeInteger(since) || since < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"since" expected a non-negative integer and "limit" 1..1000');
    }
    if (req.query.dataset === undefined) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"dataset" expected: the audit log is read per dataset, by its owner and readers');
    assertReader(await ctx.datasetOr404(req.query.dataset), userOf(req));
    return { entries: await ctx.store.listAudit({ datasetId: req.query.dataset, since, limit }) };
  });
}
