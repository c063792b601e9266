/**
 * The shell shared by the ONNX backends of every NDE version: lazy sessions (inline, or one per
 * worker thread) that each pass the version's self-test before the first real batch, one parameter
 * cache, jobs of similar-length chunks cut to self-tested sizes (plan.ts), chunks over 1 MiB in
 * segments, and one `close()` for every caller. What a version brings is in {@link _OnnxVersionSpec}.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { _checkItems, _checkKeySalt } from '../checks.js';
import { NqcNdeError } from '../errors.js';
import type { _KeyTensors, _OneKeyCache } from '../key-schedule.js';
import type { NdeBackend, NdeChunk } from '../types.js';
import type { NdeVersion } from '../versions.js';
import { _planJobs } from './plan.js';
import { _defaultWorkers, _RunnerPool, type OnnxRunner } from './runner.js';

/** What one NDE version gives the shared ONNX backend. @internal */
export interface _OnnxVersionSpec<P extends _KeyTensors, J, R> {
  /** the construction version (`backend.version`) */
  readonly version: NdeVersion;
  /** a fresh copy of the version's model id (`backend.modelId`) */
  modelId(): Uint8Array;
  /** the version's one-entry parameter cache */
  newCache(): _OneKeyCache<P>;
  /** the registry of open backends of this version (for its close-all function) */
  readonly live: Set<NdeBackend>;
  /** reads and hash-checks the model file (`undefined`: the shipped one) */
  loadModel(path: string | undefined): Promise<Uint8Array>;
  /** one runner in the calling thread */
  createInline(model: Uint8Array): Promise<OnnxRunner<J, R>>;
  /** `count` runners on worker threads */
  createWorkers(model: Uint8Array, count: number): Promise<OnnxRunner<J, R>[]>;
  /** the known-answer self-test of one runner */
  selfTest(runner: OnnxRunner<J, R>): Promise<void>;
  /** bytes of one model step (v1 block: 128, v2 step: 512) */
  readonly stepBytes: number;
  /** chunks longer than this many bytes run in segments */
  readonly segmentBytes: number;
  /** runs one long chunk in segments; copies what it reads before its first await */
  runSegmented(run: (job: J) => Promise<R>, params: P, item: NdeChunk, decrypt: boolean): Promise<Uint8Array>;
  /** packs chunks (all non-empty) into a job with its own copies of the weights */
  packJob(params: P, items: readonly NdeChunk[], decrypt: boolean): J;
  /** cuts a job's result into per-chunk outputs (takes ownership of the result) */
  unpackJob(job: J, result: R, items: readonly NdeChunk[]): Uint8Array[];
  /** wipes a job's key-derived buffers and unsent input */
  wipeJob(job: J): void;
}

/** Options every ONNX backend takes. @internal */
export interface _OnnxCommonOptions {
  /** worker threads (0: inline); default one per core, at most 8 */
  workers?: number;
  /** model file path; default the shipped model of the version */
  modelPath?: string;
}

type Work = { item: NdeChunk; at: number };

/**
 * Creates the ONNX backend of one version.
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` for a bad worker count
 * @internal
 */
export function _createOnnxBatchBackend<P extends _KeyTensors, J, R>(
  spec: _OnnxVersionSpec<P, J, R>,
  opts: _OnnxCommonOptions,
): NdeBackend & { ready(): Promise<void> } {
  const workers = opts.workers ?? undefined;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0 || workers > 64)) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"workers" expected an integer in 0..64, got ${String(workers)}`);
  }
  const cache = spec.newCache();
  let runnersPromise: Promise<_RunnerPool<J, R>> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const start = async (): Promise<_RunnerPool<J, R>> => {
    const model = await spec.loadModel(opts.modelPath);
    const count = workers ?? _defaultWorkers();
    const runners = count === 0 ? [await spec.createInline(model)] : await spec.createWorkers(model, count);
    try {
      await Promise.all(runners.map((r) => spec.selfTest(r)));
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return new _RunnerPool(runners);
  };
  const runners = (): Promise<_RunnerPool<J, R>> => {
    if (closed) return Promise.reject(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    runnersPromise ??= start().catch((err: unknown) => {
      runnersPromise = undefined; // a later call may retry (e.g. after installing onnxruntime-node)
      throw err;
    });
    return runnersPromise;
  };

  // One runner inline, else one per worker (as start() makes them): the plan needs it before they exist.
  const runnerCount = workers === 0 ? 1 : (workers ?? _defaultWorkers());

  const runBatch = async (key: Uint8Array, salt: Uint8Array, items: NdeChunk[], decrypt: boolean): Promise<Uint8Array[]> => {
    _checkKeySalt(key, salt);
    _checkItems(items);
    if (closed) throw new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed');
    // Everything this call reads from its arguments is read before its first await (as the reference
    // backend and WebCrypto do): the jobs are packed now (chunk copies, start states, own copies of
    // the weights), and a segmented chunk is copied by runSegmented before it awaits. A caller may
    // wipe or reuse its key and chunks as soon as the call returns. The copies are this call's input
    // size, once.
    const params = cache.get(key, salt);
    const results: Uint8Array[] = new Array<Uint8Array>(items.length);
    const work: Work[] = [];
    const large: Work[] = [];
    items.forEach((item, at) => {
      if (item.data.length === 0) results[at] = new Uint8Array(0);
      else if (item.data.length > spec.segmentBytes) large.push({ item, at });
      else work.push({ item, at });
    });
    const pool = runners();
    const run = (job: J): Promise<R> => pool.then((p) => p.run(job));
    // Chunks over 1 MiB run in 1 MiB segments: onnxruntime's memory per call stays small whatever
    // chunk size the sender chose.
    const segmented = large.map(async (w) => {
      results[w.at] = await spec.runSegmented(run, params, w.item, decrypt);
    });
    // Jobs of chunks of similar length (plan.ts: padding at most 2x), about one group per runner, cut
    // into self-tested job sizes, through the pool's FIFO queue: a caller that awaits each call still
    // uses every core, and callers with several calls in flight keep every runner busy.
    const steps = work.map((w) => Math.ceil(w.item.data.length / spec.stepBytes));
    const jobs = _planJobs(steps, runnerCount).map((idx) => {
      const group = idx.map((i) => work[i]!);
      const chunks = group.map((w) => w.item);
      return { group, chunks, job: spec.packJob(params, chunks, decrypt) };
    });
    await Promise.all([
      pool, // awaited even when every chunk is empty: a backend that cannot start rejects the call
      ...jobs.map(async ({ group, chunks, job }) => {
        try {
          const outs = spec.unpackJob(job, await run(job), chunks);
          group.forEach((w, i) => (results[w.at] = outs[i]!));
        } finally {
          spec.wipeJob(job);
        }
      }),
      ...segmented,
    ]);
    return results;
  };

  const backend: NdeBackend & { ready(): Promise<void> } = {
    name: 'onnx',
    version: spec.version,
    get modelId() {
      return spec.modelId();
    },
    encryptChunks: (key, salt, items) => runBatch(key, salt, items, false),
    decryptChunks: (key, salt, items) => runBatch(key, salt, items, true),
    ready: async () => {
      await runners();
    },
    // One close for every caller: a second close (or closeAllNde) waits for the same worker exits.
    close: () =>
      (closing ??= (async () => {
        closed = true;
        const p = runnersPromise;
        runnersPromise = undefined;
        // Stop the runners first (jobs still queued reject with ERR_NDE_CLOSED), then wipe the weights.
        if (p) await (await p.catch(() => undefined))?.close();
        cache.clear();
        spec.live.delete(backend);
      })()),
  };
  spec.live.add(backend);
  return backend;
}

/** What the shared known-answer self-test needs of a version. @internal */
export interface _OnnxSelfTestSpec<P extends _KeyTensors, J, R> {
  /** the known-answer key, salt and cases (one case per batch shape; one named `1/long`) */
  inputs(): { key: Uint8Array; salt: Uint8Array; cases: readonly { name: string; items: NdeChunk[] }[] };
  /** the expected SHA-256 hex of each case's concatenated outputs, per direction */
  readonly answers: Readonly<Record<string, { encrypt: string; decrypt: string } | undefined>>;
  /** `v1`, `v2`: named in the mismatch message */
  readonly versionName: string;
  /** the message of a self-test that could not run */
  readonly couldNotRun: string;
  /** segment size (in model steps) of the segmented `1/long` run */
  readonly segmentSteps: number;
  deriveParams(key: Uint8Array, salt: Uint8Array): P;
  wipeParams(params: P): void;
  packJob(params: P, items: readonly NdeChunk[], decrypt: boolean): J;
  unpackJob(job: J, result: R, items: readonly NdeChunk[]): Uint8Array[];
  wipeJob(job: J): void;
  runSegmented(run: (job: J) => Promise<R>, params: P, item: NdeChunk, decrypt: boolean, segmentSteps: number): Promise<Uint8Array>;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

/**
 * Runs a version's known-answer cases on one runner, at every batch size the backend uses, and the
 * long case in segments; rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _runOnnxSelfTest<P extends _KeyTensors, J, R>(spec: _OnnxSelfTestSpec<P, J, R>, runner: OnnxRunner<J, R>): Promise<void> {
  const couldNotRun = (cause: unknown): NqcNdeError => new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', spec.couldNotRun, { cause });
  const disagrees = (detail: string): NqcNdeError =>
    new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', `ONNX backend disagrees with the NDE ${spec.versionName} known answers (${detail}): refusing to run`);
  const { key, salt, cases } = spec.inputs();
  const params = spec.deriveParams(key, salt);
  try {
    for (const { name, items } of cases) {
      for (const decrypt of [false, true]) {
        const mode = decrypt ? 'decrypt' : 'encrypt';
        const job = spec.packJob(params, items, decrypt);
        let got: string;
        try {
          got = bytesToHex(sha256(concat(spec.unpackJob(job, await runner.run(job), items))));
        } catch (err) {
          throw couldNotRun(err);
        } finally {
          spec.wipeJob(job);
        }
        if (got !== spec.answers[name]?.[mode]) throw disagrees(`${mode}, ${name}`);
      }
    }
    // The segmented path (chunks over 1 MiB), with small segments.
    const long = cases.find((c) => c.name === '1/long')!;
    for (const decrypt of [false, true]) {
      const mode = decrypt ? 'decrypt' : 'encrypt';
      let got: string;
      try {
        got = bytesToHex(sha256(await spec.runSegmented((job) => runner.run(job), params, long.items[0]!, decrypt, spec.segmentSteps)));
      } catch (err) {
        throw couldNotRun(err);
      }
      if (got !== spec.answers['1/long']?.[mode]) throw disagrees(`${mode}, 1/long in segments`);
    }
  } finally {
    spec.wipeParams(params);
  }
}
