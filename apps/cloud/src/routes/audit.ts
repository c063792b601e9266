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
  app.get<{ Querystring: Record<string, unknown> }>('/api/audit', async (req) => {
    const q = req.query;
    const since = one(q, 'since') === undefined ? 0 : Number(one(q, 'since'));
    const limit = one(q, 'limit') === undefined ? 200 : Number(one(q, 'limit'));
    if (!Number.isSafeInteger(since) || since < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"since" expected a non-negative integer and "limit" 1..1000');
    }
    const dataset = one(q, 'dataset');
    if (dataset === undefined) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"dataset" expected: the audit log is read per dataset, by its owner and readers');
    assertReader(await ctx.datasetOr404(dataset), userOf(req));
    return { entries: await ctx.store.listAudit({ datasetId: dataset, since, limit }) };
  });
}

/**
 * A query parameter given at most once (`?a=1&a=2` parses to an array).
 * @throws {NqcCloudError} ERR_CLOUD_BAD_REQUEST when it is repeated (or not a string)
 */
function one(query: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = query?.[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `"${name}" expected once in the query`);
}
