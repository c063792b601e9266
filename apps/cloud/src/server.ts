/**
 * The zero-trust cloud server (fastify 5): datasets with enrolled writers and an HE evaluation
 * bundle, uploads of signed envelopes, homomorphic aggregates computed with the bundle only, and an
 * audit log. It never receives a secret key or a plaintext, and it answers with ciphertexts.
 * @module
 */
import { aggregate, errorInfo, extractHeFields, inspect, verifySignature } from '@nqc/core/node';
import { parseVerifyingKey } from '@nqc/pql';
import { encodeCiphertext, type HeCiphertext, type HeMean } from '@nqc/she';
import { HeWorkerEvaluator } from '@nqc/she/node';
import type { SecurityManager } from '@nqc/agents';
import { agentsPlugin, type AgentsPluginOptions } from '@nqc/agents/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { assertMember, assertReader, assertWriter, isMember, mountChannel, userOf, verifyingKeys, type CloudChannelOptions } from './channel/index.js';
import { fromBase64, hexExcerpt, newId, sha256Hex, toBase64 } from './codec.js';
import { envelopeError, NqcCloudError, type ErrorBody } from './errors.js';
import { EvaluatorCache } from './evaluators.js';
import { answerGroup, GROUP_OPS } from './aggregates/route.js';
import { servePage } from './page.js';
import type { DatasetRow, EnvelopeMeta, Store } from './store.js';
import type { AggregateJobs, AggregateOutcome, AggregateRequest } from './jobs/index.js';

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

const OPS = new Set(['sum', 'mean', 'count']);
const MiB = 1024 * 1024;

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

function datasetView(d: DatasetRow, envelopes: readonly EnvelopeMeta[]) {
  return {
    id: d.id,
    name: d.name,
    owner: d.owner,
    readers: d.readers,
    writers: d.writers,
    heKeyId: d.heKeyId,
    bundleBytes: d.bundle.byteLength,
    createdAt: d.createdAt,
    envelopes: envelopes.length,
    envelopeBytes: envelopes.reduce((n, e) => n + e.size, 0),
    records: envelopes.reduce((n, e) => n + e.records, 0),
  };
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
  const perform = <T>(op: 'cloud.check' | 'cloud.aggregate', task: () => Promise<T>): Promise<T> =>
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

  const datasetOr404 = async (id: string): Promise<DatasetRow> => {
    const d = await store.getDataset(id);
    if (!d) throw new NqcCloudError('ERR_CLOUD_NOT_FOUND', 'no such dataset');
    return d;
  };

  // sum, mean or count on this instance (SEAL in the dataset's worker thread): called in-process,
  // or as this instance's worker for jobs another instance (or this one) enqueued.
  const runAggregate = async ({ datasetId, op, path }: AggregateRequest): Promise<AggregateOutcome> => {
    const d = await datasetOr404(datasetId);
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
    return { result: encodedResult(result), envelopes, serverMs, worker: opts.jobs?.instance ?? 'local' };
  };
  if (opts.jobs) {
    // This instance works jobs until it closes (before its SEAL worker threads stop).
    const stopWorking = await opts.jobs.serve(runAggregate);
    app.addHook('preClose', async () => stopWorking());
  }

  app.post('/api/datasets', async (req, reply) => {
    const owner = userOf(req); // the creator owns the dataset
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
    const user = userOf(req); // only the datasets this key owns, reads or writes
    return { datasets: await Promise.all((await store.listDatasets()).filter((d) => isMember(d, user)).map(async (d) => datasetView(d, await store.listEnvelopes(d.id)))) };
  });

  app.get<{ Params: { id: string } }>('/api/datasets/:id', async (req) => {
    const d = await datasetOr404(req.params.id);
    assertMember(d, userOf(req));
    return datasetView(d, await store.listEnvelopes(d.id));
  });

  app.post<{ Params: { id: string } }>('/api/datasets/:id/envelopes', { bodyLimit: maxEnvelopeBytes }, async (req, reply) => {
    const d = await datasetOr404(req.params.id);
    if (!Buffer.isBuffer(req.body)) throw new NqcCloudError('ERR_CLOUD_UNSUPPORTED_MEDIA', 'expected one envelope as application/octet-stream');
    const bytes = new Uint8Array(req.body);
    try {
      assertWriter(d, userOf(req)); // the sender must be enrolled, besides the envelope's own signature
      // A replayed upload would be summed twice: the same bytes are stored once per dataset.
      if (await store.hasEnvelope(d.id, sha256Hex(bytes))) throw new NqcCloudError('ERR_CLOUD_DUPLICATE', 'this envelope is already stored in the dataset (a replayed upload?)');
      const meta = await perform('cloud.check', () => checkEnvelope(d, bytes));
      await store.putEnvelope(meta, bytes);
      await store.audit('envelope.store', d.id, { envelope: meta.id, bytes: meta.size, fields: meta.fields, records: meta.records, signer: meta.signer.slice(0, 24) });
      return await reply.status(201).send({ ...meta, signerEnrolled: true, hexExcerpt: hexExcerpt(bytes) });
    } catch (err) {
      const e = envelopeError(err, 'the envelope');
      await store.audit('envelope.refuse', d.id, { bytes: bytes.byteLength, code: e.code, detail: e.detail ?? null });
      throw e;
    }
  });

  app.get<{ Params: { id: string } }>('/api/datasets/:id/envelopes', async (req) => {
    const d = await datasetOr404(req.params.id);
    assertReader(d, userOf(req));
    const list = await Promise.all((await store.listEnvelopes(d.id)).map(async (m) => ({ ...m, hexExcerpt: hexExcerpt(await store.envelopePrefix(m.id, 48)) })));
    return { envelopes: list };
  });

  app.post<{ Params: { id: string } }>('/api/datasets/:id/aggregate', async (req) => {
    const d = await datasetOr404(req.params.id);
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
    const out = opts.jobs ? await opts.jobs.run(request) : await runAggregate(request);
    const { serverMs, envelopes } = out;
    const signers: SignerStatement = {
      enforced: true,
      enrolledWriters: d.writers.length,
      envelopes,
      statement: `aggregated only the ${envelopes} envelope(s) whose ML-DSA signatures verified against the ${d.writers.length} writer(s) the owner enrolled; the server cannot check that the values themselves are honest`,
    };
    const encoded = out.result;
    await store.audit('aggregate', d.id, { op, path, envelopes, resultBytes: 'bytes' in encoded ? encoded.bytes : 0, serverMs, ...(opts.jobs ? { worker: out.worker } : {}) });
    return { op, path, result: encoded, signers, timings: { serverMs, ...(opts.jobs ? { worker: out.worker } : {}) } };
  });

  app.get<{ Querystring: { dataset?: string; since?: string; limit?: string } }>('/api/audit', async (req) => {
    const since = req.query.since === undefined ? 0 : Number(req.query.since);
    const limit = req.query.limit === undefined ? 200 : Number(req.query.limit);
    if (!Number.isSafeInteger(since) || since < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"since" expected a non-negative integer and "limit" 1..1000');
    }
    if (req.query.dataset === undefined) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', '"dataset" expected: the audit log is read per dataset, by its owner and readers');
    assertReader(await datasetOr404(req.query.dataset), userOf(req));
    return { entries: await store.listAudit({ datasetId: req.query.dataset, since, limit }) };
  });

  if (opts.pageDir !== undefined) servePage(app, opts.pageDir, { serverKey: channel.serverKey });
  return app;
}

/** Checks one uploaded envelope keylessly; returns its metadata or throws (nothing is stored). */
async function checkEnvelope(d: DatasetRow, bytes: Uint8Array): Promise<EnvelopeMeta> {
  const { signer } = await verifySignature(bytes, { requireSigner: [...d.writers] });
  const info = await inspect(bytes);
  const fields = info.he?.fields ?? [];
  if (fields.length === 0) throw new NqcCloudError('ERR_CLOUD_BAD_ENVELOPE', 'the envelope has no HE fields to aggregate');
  for (const f of fields) {
    if (f.keyId !== d.heKeyId) throw new NqcCloudError('ERR_CLOUD_KEY_MISMATCH', `HE field "${f.path}" is under another HE key than this dataset's`);
  }
  const paths = [...new Set(fields.map((f) => f.path))];
  // Decode every HE ciphertext once (structure and bounds); these bytes' signature verified above.
  for (const p of paths) await extractHeFields(bytes, p);
  return {
    id: newId(),
    datasetId: d.id,
    size: bytes.byteLength,
    sha256: sha256Hex(bytes),
    signer: signer?.verifyingKey ?? 'unknown',
    fields: paths,
    records: Math.max(...fields.map((f) => f.count)),
    createdAt: new Date().toISOString(),
  };
}
