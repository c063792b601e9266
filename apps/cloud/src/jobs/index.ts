/**
 * HE aggregation jobs: with PostgreSQL, an aggregate request is a pg-boss job in the shared
 * database; any server instance's worker runs it (SEAL in that instance's worker thread) and the
 * requesting instance waits for the outcome, up to a timeout. Every aggregate kind runs as a job:
 * sum, mean, count, histograms and grouped sums. Jobs carry only public data: the dataset id, the
 * op and field path (or group name) in; the encrypted result (base64: one ciphertext, or one per
 * group key), the envelope count and the per-signer counts out.
 * @module
 */
import { randomBytes } from 'node:crypto';
import PgBoss from 'pg-boss';
import { NqcCloudError, type CloudErrorCode } from '../errors.js';
import type { SlotPart } from '../aggregates/slots.js';
import type { SignedBy } from '../aggregates/signers.js';

/** One aggregate to compute. */
export interface AggregateRequest {
  /** The dataset. */
  readonly datasetId: string;
  /** The operation: one field's sum, mean or count, or a group's slot sums (histogram, grouped sum). */
  readonly op: 'sum' | 'mean' | 'count' | 'histogram' | 'groupSum';
  /** The HE field path (sum, mean, count) or the group name (histogram, groupSum). */
  readonly path: string;
}

/** An aggregate's answer as sent to the client: ciphertexts in base64, a count in clear. */
export type EncodedResult =
  | { readonly kind: 'count'; readonly value: number }
  | { readonly kind: 'sum'; readonly ciphertext: string; readonly bytes: number }
  | { readonly kind: 'mean'; readonly sum: string; readonly count: number; readonly bytes: number }
  /** A histogram's or grouped sum's parts: one slot-sum ciphertext per group key. */
  | { readonly kind: 'slots'; readonly group: string; readonly parts: readonly SlotPart[]; readonly bytes: number };

/** What a worker returns for one {@link AggregateRequest}. */
export interface AggregateOutcome {
  /** The encoded result. */
  readonly result: EncodedResult;
  /** How many envelopes were verified and aggregated. */
  readonly envelopes: number;
  /** Per verified signer's verifying key: how many of those envelopes it signed (absent from older workers). */
  readonly signedBy?: SignedBy;
  /** The worker's time for the aggregate, in ms. */
  readonly serverMs: number;
  /** The id of the instance that ran it. */
  readonly worker: string;
}

/** Computes one aggregate on this instance; throws `NqcCloudError` for a refusal. */
export type AggregateRunner = (req: AggregateRequest) => Promise<AggregateOutcome>;

/**
 * Where aggregates run when not in-process: a queue shared by server instances. `buildServer`
 * calls {@link AggregateJobs.serve} with its runner and {@link AggregateJobs.run} per request.
 */
export interface AggregateJobs {
  /** This instance's id (reported as {@link AggregateOutcome.worker}). */
  readonly instance: string;
  /** Starts this instance's worker with `run` (unless the queue was opened with `work: false`); resolves to a stop function. */
  serve(run: AggregateRunner): Promise<() => Promise<void>>;
  /**
   * Enqueues one aggregate and waits for its outcome from whichever instance runs it.
   * @throws NqcCloudError the worker's refusal (its code), `ERR_CLOUD_JOB_TIMEOUT` (no outcome in
   *   time: no worker, or the worker died; the job is cancelled), `ERR_CLOUD_JOB_FAILED` (the job
   *   failed or was cancelled without an outcome)
   */
  run(req: AggregateRequest): Promise<AggregateOutcome>;
}

/** Options of {@link PgBossJobs.start}. */
export interface PgBossJobsOptions {
  /** The PostgreSQL database (the same as the store's). */
  readonly connectionString: string;
  /** pg-boss's schema. Default `nqc_jobs`. */
  readonly schema?: string;
  /** Queue name. Default `nqc-cloud-aggregate`. */
  readonly queue?: string;
  /** This instance's id. Default: random hex. */
  readonly instance?: string;
  /** How long a requester waits for the outcome (and the job's expiry), in ms. Default 300,000. */
  readonly timeoutMs?: number;
  /** How often a requester looks at its job, in ms. Default 100. */
  readonly pollMs?: number;
  /** How often an idle worker looks for jobs, in seconds (at least 0.5). Default 0.5. */
  readonly workerPollSeconds?: number;
  /** Run a worker on this instance. Default true (false: this instance only enqueues). */
  readonly work?: boolean;
  /** Called with pg-boss's background errors (default: ignored; the requester times out). */
  readonly onError?: (e: Error) => void;
}

type JobOutput = { ok: true; outcome: AggregateOutcome } | { ok: false; error: { code: CloudErrorCode; message: string; detail: string | null } };
const CODE = /^ERR_CLOUD_[A-Z_]+$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** {@link AggregateJobs} on pg-boss 10 (a PostgreSQL job queue): several instances, one database. */
export class PgBossJobs implements AggregateJobs {
  readonly #boss: PgBoss;
  readonly #queue: string;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #workerPoll: number;
  readonly #work: boolean;
  #closed = false;
  #workerId: string | undefined;
  readonly instance: string;

  private constructor(boss: PgBoss, opts: PgBossJobsOptions) {
    this.#boss = boss;
    this.#queue = opts.queue ?? 'nqc-cloud-aggregate';
    this.#timeoutMs = opts.timeoutMs ?? 300_000;
    this.#pollMs = opts.pollMs ?? 100;
    this.#workerPoll = opts.workerPollSeconds ?? 0.5;
    this.#work = opts.work ?? true;
    this.instance = opts.instance ?? randomBytes(4).toString('hex');
  }

  /**
   * Connects, installs pg-boss's schema if missing (safe when instances start at once) and creates the queue.
   * @param opts - database, timeouts, instance id
   */
  static async start(opts: PgBossJobsOptions): Promise<PgBossJobs> {
    const timeoutMs = opts.timeoutMs ?? 300_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('"timeoutMs" expected a positive integer');
    const boss = new PgBoss({ connectionString: opts.connectionString, schema: opts.schema ?? 'nqc_jobs', max: 4, schedule: false, application_name: 'nqc-cloud-jobs' });
    boss.on('error', opts.onError ?? (() => undefined));
    await boss.start();
    const jobs = new PgBossJobs(boss, opts);
    const queue = opts.queue ?? 'nqc-cloud-aggregate';
    try {
      await boss.createQueue(queue, { name: queue, retryLimit: 0, expireInSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) });
    } catch (e) {
      // Another instance created it at the same moment.
      if (!(await boss.getQueue(queue))) throw e;
    }
    return jobs;
  }

  async serve(run: AggregateRunner): Promise<() => Promise<void>> {
    if (!this.#work) return async () => undefined;
    const id = await this.#boss.work<AggregateRequest>(this.#queue, { batchSize: 1, pollingIntervalSeconds: this.#workerPoll }, async ([job]): Promise<JobOutput> => {
      try {
        return { ok: true, outcome: await run(job!.data) };
      } catch (e) {
        if (e instanceof NqcCloudError) return { ok: false, error: { code: e.code, message: e.message, detail: e.detail ?? null } };
        // An untyped error's message (paths, hosts, roles) stays on this instance, as in-process.
        return { ok: false, error: { code: 'ERR_CLOUD_INTERNAL', message: 'internal error', detail: null } };
      }
    });
    this.#workerId = id;
    return async () => {
      this.#workerId = undefined;
      await this.#boss.offWork({ id });
    };
  }

  async run(req: AggregateRequest): Promise<AggregateOutcome> {
    if (this.#closed) throw new NqcCloudError('ERR_CLOUD_INTERNAL', 'the job queue is closed');
    const data = { datasetId: req.datasetId, op: req.op, path: req.path };
    const id = await this.#boss.send(this.#queue, data, { retryLimit: 0, expireInSeconds: Math.max(1, Math.ceil(this.#timeoutMs / 1000)) });
    if (id === null) throw new NqcCloudError('ERR_CLOUD_JOB_FAILED', 'the aggregate job was not enqueued');
    // Wake this instance's idle worker now (the others find the job at their next poll).
    if (this.#workerId !== undefined) this.#boss.notifyWorker(this.#workerId);
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const job = await this.#boss.getJobById<AggregateRequest>(this.#queue, id);
      const state = job?.state;
      if (state === 'completed') {
        const out = job!.output as JobOutput | null;
        if (out?.ok === true) return out.outcome;
        const err = out?.ok === false ? (out.error as Partial<Record<'code' | 'message' | 'detail', unknown>> | null) : null;
        if (typeof err?.code !== 'string' || !CODE.test(err.code) || typeof err.message !== 'string') {
          throw new NqcCloudError('ERR_CLOUD_INTERNAL', 'internal error');
        }
        throw new NqcCloudError(err.code as CloudErrorCode, err.message.slice(0, 1000), typeof err.detail === 'string' ? err.detail.slice(0, 200) : undefined);
      }
      if (state === 'failed' || state === 'cancelled' || job === null) {
        // pg-boss stores a thrown error's message in the row: not echoed (it may name hosts, roles, paths).
        throw new NqcCloudError('ERR_CLOUD_JOB_FAILED', `the aggregate job ${state ?? 'vanished'}`);
      }
      if (Date.now() >= deadline) {
        await this.#boss.cancel(this.#queue, id).catch(() => undefined);
        throw new NqcCloudError('ERR_CLOUD_JOB_TIMEOUT', `no worker finished the aggregate job within ${this.#timeoutMs} ms (state: ${state}); it was cancelled`);
      }
      await sleep(this.#pollMs);
    }
  }

  /** Stops this instance's workers and disconnects (jobs in the database stay for other instances). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
