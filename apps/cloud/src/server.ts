/**
 * The zero-trust cloud server (fastify 5): datasets with enrolled writers and an HE evaluation
 * bundle, uploads of signed envelopes, homomorphic aggregates computed with the bundle only, and an
 * audit log. It never receives a secret key or a plaintext, and it answers with ciphertexts.
 * @module
 */
import { errorInfo } from '@nqc/core/node';
import type { SecurityManager } from '@nqc/agents';
import { agentsPlugin, type AgentsPluginOptions } from '@nqc/agents/fastify';
import { GATEWAY_PATH, REQUEST_MEDIA_TYPE } from '@nqc/channel';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
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
  /**
   * Largest request body of every other route (JSON: aggregate queries and the like), in bytes.
   * Default 1 MiB. Over it: `413 ERR_CLOUD_TOO_LARGE`, before the body is parsed.
   */
  readonly maxJsonBytes?: number;
  /**
   * Longest time a client may take to send a whole request (headers and body, the gateway's chunked
   * uploads included), in ms; `0`: no limit. Default 120 000 (a 16 MiB upload at ~140 KB/s).
   * Past it Node answers `408` and closes the connection: a body trickled in (slow loris) is not
   * held forever. Checked every `min(30 s, requestTimeoutMs / 4)`.
   */
  readonly requestTimeoutMs?: number;
  /** Longest time a client may take to send a request's headers, in ms (at least 1; capped by `requestTimeoutMs`). Default `min(30 000, requestTimeoutMs)`. */
  readonly headersTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open, in ms (at least 1). Default 72 000 (above common load balancers' 60 s). */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Longest inactivity of a connection (no byte read or written), in ms; `0`: no limit. Default
   * 600 000: above the longest aggregate wait (a job queue's timeout, 300 s by default), so a
   * computing request is not cut; a client that stops reading its answer is dropped after it.
   */
  readonly connectionTimeoutMs?: number;
  /** Most SEAL worker threads kept warm (one per recently used dataset). Default 4. */
  readonly maxHeWorkers?: number;
  /** Most writers a dataset may enrol. Default 64. */
  readonly maxWriters?: number;
  /** Most datasets one key may own (creations over it: `403 ERR_CLOUD_QUOTA`). Default 100. */
  readonly maxDatasetsPerOwner?: number;
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
  /**
   * `agentsPlugin`'s `underPressure` option (with `manager`). Default: the plugin's (shed past
   * 200 ms of event-loop delay or once the manager is closed, `Retry-After: 5`). A shed request is
   * answered `503 ERR_CLOUD_BUSY` with `Retry-After`; small channel requests get it inside the
   * encrypted response (the client sees an ordinary 503), chunked ones (large bodies) as the outer
   * answer, before their body is read. A `pressureHandler` given here replaces that behaviour.
   */
  readonly underPressure?: AgentsPluginOptions['underPressure'];
  /**
   * Where sum, mean and count run: `undefined` (default), in this process; a job queue
   * (`PgBossJobs`, with `PostgresStore`), on whichever instance's worker takes the job: this
   * server serves as one of those workers while it runs. The caller closes the queue.
   */
  readonly jobs?: AggregateJobs | undefined;
}

const MiB = 1024 * 1024;

/** A timeout option: `undefined` gives the default; else a safe integer (ms) of at least `min`. */
function timeout(value: number | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `"${name}" expected an integer number of milliseconds, at least ${min}`);
  return value;
}

/**
 * under-pressure's `pressureHandler`: sheds with `503 ERR_CLOUD_BUSY` and `Retry-After`, except the
 * gateway's key configuration and its small (non-chunked, at most 1 MiB) encapsulated requests: those
 * are let through so the inner request is shed instead, and its 503 with Retry-After reaches the
 * client inside the encrypted response (an outer 503 is only "gateway answered 503" to ChannelClient).
 * Chunked requests (large bodies) are shed before their body is read.
 */
function shedOutsideChannel(retryAfter: number) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const gateway = req.url === GATEWAY_PATH || req.url.startsWith(`${GATEWAY_PATH}?`);
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (gateway && (req.method === 'GET' || (req.method === 'POST' && type === REQUEST_MEDIA_TYPE))) return;
    reply.header('retry-after', String(retryAfter));
    throw new NqcCloudError('ERR_CLOUD_BUSY', 'the server is under load: retry after the number of seconds in Retry-After');
  };
}

/**
 * Builds the server. Routes: `POST /api/datasets`, `GET /api/datasets`, `GET /api/datasets/:id`,
 * `POST /api/datasets/:id/envelopes` (`application/octet-stream`, one envelope),
 * `GET /api/datasets/:id/envelopes`, `POST /api/datasets/:id/aggregate` (`{ op, path }`),
 * `GET /api/audit`, and the browser page at `/` when `pageDir` is given.
 * @param opts - store, limits, logger, page directory
 * @returns a fastify instance (not listening); `close()` also stops the HE worker threads
 * @throws {NqcCloudError} ERR_CLOUD_BAD_REQUEST for a timeout option that is not an integer in range
 */
export async function buildServer(opts: CloudServerOptions): Promise<FastifyInstance> {
  const { store } = opts;
  const maxEnvelopeBytes = opts.maxEnvelopeBytes ?? 16 * MiB;
  const maxDatasetBytes = opts.maxDatasetBytes ?? 32 * MiB;
  const maxJsonBytes = opts.maxJsonBytes ?? 1 * MiB;
  const maxWriters = opts.maxWriters ?? 64;
  const requestTimeout = timeout(opts.requestTimeoutMs, 120_000, 'requestTimeoutMs');
  const headersTimeout = timeout(opts.headersTimeoutMs, requestTimeout === 0 ? 30_000 : Math.min(30_000, requestTimeout), 'headersTimeoutMs', 1);
  const app = Fastify({
    logger: opts.logger ?? false,
    // Routes that take more say so: uploads (maxEnvelopeBytes), dataset creation (maxDatasetBytes, below).
    bodyLimit: maxJsonBytes,
    requestTimeout,
    connectionTimeout: timeout(opts.connectionTimeoutMs, 600_000, 'connectionTimeoutMs'),
    keepAliveTimeout: timeout(opts.keepAliveTimeoutMs, 72_000, 'keepAliveTimeoutMs', 1),
    http: {
      headersTimeout: requestTimeout === 0 ? headersTimeout : Math.min(headersTimeout, requestTimeout),
      // Node checks the two timeouts above on this period (its default, 30 s, is coarse for short limits).
      connectionsCheckingInterval: requestTimeout === 0 ? 30_000 : Math.max(100, Math.min(30_000, Math.floor(requestTimeout / 4))),
    },
  });
  // Dataset creation carries the evaluation bundle: its own limit, unless the route sets one.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.url === '/api/datasets' && methods.includes('POST') && route.bodyLimit === undefined) route.bodyLimit = maxDatasetBytes;
  });

  // Set first: routes (agentsPlugin's /metrics and /status included) keep the handler set when they are added.
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    let e: NqcCloudError;
    if (err instanceof NqcCloudError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new NqcCloudError('ERR_CLOUD_TOO_LARGE', `request body over the limit (${req.routeOptions.bodyLimit ?? maxJsonBytes} bytes)`);
    else if (err.code === 'FST_UNDER_PRESSURE' || err.statusCode === 503) {
      // Load shedding (@fastify/under-pressure): it set Retry-After on the reply; keep one in any case.
      if (!reply.hasHeader('retry-after')) reply.header('retry-after', '5');
      e = new NqcCloudError('ERR_CLOUD_BUSY', 'the server is under load: retry after the number of seconds in Retry-After');
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new NqcCloudError('ERR_CLOUD_UNSUPPORTED_MEDIA', 'unsupported content type');
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) e = new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `bad request (${err.code ?? 'invalid'})`);
    else {
      req.log.error({ code: errorInfo(err).code }, 'internal error');
      e = new NqcCloudError('ERR_CLOUD_INTERNAL', 'internal error');
    }
    const body: ErrorBody = { error: { code: e.code, message: e.message, detail: e.detail } };
    return reply.status(e.status).send(body);
  });

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
    const up = opts.underPressure;
    const underPressure = up === false ? false : { pressureHandler: shedOutsideChannel(up?.retryAfter ?? 5), ...up };
    await app.register(agentsPlugin, { manager, underPressure });
  }

  const channel = await mountChannel(app, opts.channel ?? {}, Math.max(maxDatasetBytes, maxEnvelopeBytes, maxJsonBytes));
  app.decorate('channelServerKey', channel.serverKey);

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxEnvelopeBytes }, (_req, body, done) => done(null, body));

  const ctx: RouteContext = {
    store,
    evaluators,
    perform,
    jobs: opts.jobs,
    manager,
    maxEnvelopeBytes,
    maxDatasetBytes,
    maxWriters,
    maxDatasetsPerOwner: opts.maxDatasetsPerOwner ?? 100,
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
