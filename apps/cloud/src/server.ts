/**
 * The zero-trust cloud server (fastify 5): datasets with enrolled writers and an HE evaluation
 * bundle, uploads of signed envelopes, homomorphic aggregates computed with the bundle only, and an
 * audit log. It never receives a secret key or a plaintext, and it answers with ciphertexts.
 * @module
 */
import { errorInfo } from '@nqc/core/node';
import type { SecurityManager } from '@nqc/agents';
import { agentsPlugin, type AgentsPluginOptions } from '@nqc/agents/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { mountChannel, type CloudChannelOptions } from './channel/index.js';
import { NqcCloudError, type ErrorBody } from './errors.js';
import { EvaluatorCache } from './evaluators.js';
import { servePage } from './page.js';
import type { Store } from './store.js';
import type { AggregateJobs } from './jobs/index.js';
import { aggregateRoutes, aggregateRunner } from './routes/aggregate.js';
import { auditRoutes } from './routes/audit.js';
import { datasetLookup, type MeteredOp, type RouteContext } from './routes/context.js';
import { datasetRoutes } from './routes/datasets.js';
import { envelopeRoutes } from './routes/envelopes.js';

export type { SignerStatement } from './routes/aggregate.js';

/** Options of {@link buildServer}. */
export interface CloudServerOptions {
  /** Where datasets, envelopes and the audit log are kept. */
  readonly store: Store;
  /** Largest envelope accepted by an upload, in bytes. Default 16 MiB. */
  readonly maxEnvelopeBytes?: number;
  /** Largest dataset-creation request (it carries the evaluation bundle), in bytes. Default 32 MiB. */
  readonly maxDatasetBytes?: number;
  /** Most SEAL worker threads kept warm (one per recently used dataset). Default 4. */
  readonly maxHeWorkers?: number;
  /** Most writers a dataset may enrol. Default 64. */
  readonly maxWriters?: number;
  /** fastify's logger option (default: off). Request bodies are never logged. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Directory of the built browser page (`dist/page`); `undefined`: no page served. */
  readonly pageDir?: string | undefined;
  /**
   * An `@nqc/agents` security manager: when given, upload checks and aggregates are performed as
   * its `cloud.check` / `cloud.aggregate` operations (counted and timed in its Prometheus metrics),
   * and `GET /metrics` and `GET /status` are served by `agentsPlugin`, with its load shedding.
   * The caller closes the manager.
   */
  readonly manager?: SecurityManager | undefined;
  /**
   * The transport: every `/api` request comes over `@nqc/channel`, signed by the user's key (see
   * `src/channel/`). Default: fresh server keys; `app.channelServerKey` is the key clients pin.
   */
  readonly channel?: CloudChannelOptions | undefined;
  /** `agentsPlugin`'s `underPressure` option (with `manager`). Default: the plugin's. */
  readonly underPressure?: AgentsPluginOptions['underPressure'];
  /**
   * Where sum, mean and count run: `undefined` (default), in this process; a job queue
   * (`PgBossJobs`, with `PostgresStore`), on whichever instance's worker takes the job: this
   * server serves as one of those workers while it runs. The caller closes the queue.
   */
  readonly jobs?: AggregateJobs | undefined;
}

const MiB = 1024 * 1024;

/**
 * Builds the server. Routes: `POST /api/datasets`, `GET /api/datasets`, `GET /api/datasets/:id`,
 * `POST /api/datasets/:id/envelopes` (`application/octet-stream`, one envelope),
 * `GET /api/datasets/:id/envelopes`, `POST /api/datasets/:id/aggregate` (`{ op, path }`),
 * `GET /api/audit`, and the browser page at `/` when `pageDir` is given.
 * @param opts - store, limits, logger, page directory
 * @returns a fastify instance (not listening); `close()` also stops the HE worker threads
 */
export async function buildServer(opts: CloudServerOptions): Promise<FastifyInstance> {
  const { store } = opts;
  const maxEnvelopeBytes = opts.maxEnvelopeBytes ?? 16 * MiB;
  const maxDatasetBytes = opts.maxDatasetBytes ?? 32 * MiB;
  const maxWriters = opts.maxWriters ?? 64;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: maxDatasetBytes });

  // One SEAL worker thread per dataset, kept warm, at most maxHeWorkers: a SEAL abort fails one call.
  const evaluators = new EvaluatorCache(opts.maxHeWorkers ?? 4);
  app.addHook('onClose', () => evaluators.close());

  // With a manager, the two CPU-heavy steps are its operations (metrics per op and outcome); they
  // run here, SEAL in the dataset's worker thread (the agents' he pool has no requireSigners).
  const { manager } = opts;
  const perform = <T>(op: MeteredOp, task: () => Promise<T>): Promise<T> =>
    manager ? (manager.perform(op, task) as Promise<T>) : task();
  if (manager) {
    manager.register({ name: 'cloud', capabilities: ['cloud.check', 'cloud.aggregate'], perform: async (_op, task) => (task as () => Promise<unknown>)() });
    await app.register(agentsPlugin, { manager, ...(opts.underPressure === undefined ? {} : { underPressure: opts.underPressure }) });
  }

  const channel = await mountChannel(app, opts.channel ?? {}, Math.max(maxDatasetBytes, maxEnvelopeBytes));
  app.decorate('channelServerKey', channel.serverKey);

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxEnvelopeBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    let e: NqcCloudError;
    if (err instanceof NqcCloudError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new NqcCloudError('ERR_CLOUD_TOO_LARGE', `request body over the limit (${req.routeOptions.bodyLimit ?? maxDatasetBytes} bytes)`);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new NqcCloudError('ERR_CLOUD_UNSUPPORTED_MEDIA', 'unsupported content type');
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) e = new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `bad request (${err.code ?? 'invalid'})`);
    else {
      req.log.error({ code: errorInfo(err).code }, 'internal error');
      e = new NqcCloudError('ERR_CLOUD_INTERNAL', 'internal error');
    }
    const body: ErrorBody = { error: { code: e.code, message: e.message, detail: e.detail } };
    return reply.status(e.status).send(body);
  });

  const ctx: RouteContext = {
    store,
    evaluators,
    perform,
    jobs: opts.jobs,
    manager,
    maxEnvelopeBytes,
    maxDatasetBytes,
    maxWriters,
    datasetOr404: datasetLookup(store),
  };
  const runAggregate = aggregateRunner(ctx);
  if (opts.jobs) {
    // This instance works jobs until it closes (before its SEAL worker threads stop).
    const stopWorking = await opts.jobs.serve(runAggregate);
    app.addHook('preClose', async () => stopWorking());
  }
  datasetRoutes(app, ctx);
  envelopeRoutes(app, ctx);
  aggregateRoutes(app, ctx, runAggregate);
  auditRoutes(app, ctx);

  if (opts.pageDir !== undefined) servePage(app, opts.pageDir, { serverKey: channel.serverKey });
  return app;
}
