/**
 * The WebAssembly SIMD backend of NDE v2 (wasm/nde-v2.wat): exact by construction, browser-safe.
 * `createWasmNde()` runs the kernel in the calling thread (in a browser, call it inside a Worker);
 * `@nqc/nde/node` adds a worker-thread pool (src/wasm/pool.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NdeWasmKernel, type NdeWasmJob, type WasmModule } from '../../wasm/kernel.mjs';
import { _checkItems, _checkKeySalt } from '../checks.js';
import { NqcNdeError } from '../errors.js';
import type { NdeBackend, NdeChunk } from '../types.js';
import { _deriveIvV2, _ParamCacheV2, type NdeParamsV2 } from '../v2/derive.js';
import { NDE_V2_STATE } from '../v2/constants.js';
import { ndeModelIdOf } from '../versions.js';
import { _WASM_KAT, _wasmKatInputs } from './kat.js';
import { _compileWasm, _embeddedWasmModule } from './module.js';

/**
 * One job for the kernel in this thread: chunks with their start states (64 bytes each) and the
 * call's weights, by reference (it runs before the call returns). @internal
 */
export interface WasmWork {
  p: CallParams;
  items: readonly NdeChunk[];
  ivs: Uint8Array;
  decrypt: boolean;
}

/** Something that runs jobs: the kernel in this thread, or one worker thread. @internal */
export interface WasmRunner {
  /** The kernel in this thread: runs `work` synchronously into one fresh output per chunk. */
  runSync?(work: WasmWork): Uint8Array[];
  /** Runs a packed job (taking its buffers: a worker gets them transferred); resolves with `job.data` processed. */
  run(job: NdeWasmJob): Promise<Uint8Array>;
  /** wipes the runner's kernel memory and releases it */
  close(): Promise<void>;
}

/** How a backend gets its runners: called once, on first use. @internal */
export type WasmRunnerFactory = (module: WasmModule) => Promise<WasmRunner[]>;

/** A WebAssembly NDE v2 backend; `ready()` compiles, starts and self-tests it now. */
export interface NdeWasmBackend extends NdeBackend {
  readonly name: 'wasm';
  readonly version: 2;
  /** Compiles the module, starts the runners and runs the known-answer self-test (once). */
  ready(): Promise<void>;
}

/** Bytes of whole chunks per worker job (a larger chunk is a job of its own): jobs spread over workers. */
const JOB_BYTES = 1 << 20;

let nextGen = 1;

function backendFailed(err: unknown): NqcNdeError {
  return err instanceof NqcNdeError
    ? err
    : new NqcNdeError('ERR_NDE_BACKEND_FAILED', `the NDE WebAssembly kernel failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
}

const closedError = (): NqcNdeError => new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed');

/** Runs the kernel in the calling thread (it blocks that thread while it runs). @internal */
export const _inlineRunners: WasmRunnerFactory = async (module) => {
  const kernel = await NdeWasmKernel.create(module);
  return [
    {
      runSync: ({ p, items, ivs, decrypt }) => {
        const out = items.map((it) => new Uint8Array(it.data.length));
        try {
          kernel.runChunks({ ...p, decrypt, ivs }, items.map((it) => it.data), out);
        } catch (err) {
          throw backendFailed(err);
        }
        return out;
      },
      run: async (job) => {
        try {
          return kernel.run(job);
        } catch (err) {
          throw backendFailed(err);
        }
      },
      close: async () => kernel.wipe(),
    },
  ];
};

/** Key-derived copies a call holds while its jobs wait and run; wiped when the call ends. @internal */
export interface CallParams {
  gen: number;
  w1: Uint8Array;
  z1: Uint8Array;
  w2: Uint8Array;
  z2: Uint8Array;
}

/**
 * Packs chunks into own buffers for a worker thread (all transferred there): the chunks back to back,
 * copies of the weights and start states. @internal
 */
export function _packJob({ p, items, ivs, decrypt }: WasmWork): NdeWasmJob {
  let total = 0;
  for (const it of items) total += it.data.length;
  const data = new Uint8Array(total);
  items.reduce((off, it) => (data.set(it.data, off), off + it.data.length), 0);
  return {
    gen: p.gen,
    w1: new Uint8Array(p.w1),
    z1: new Uint8Array(p.z1),
    w2: new Uint8Array(p.w2),
    z2: new Uint8Array(p.z2),
    decrypt,
    lens: items.map((it) => it.data.length),
    ivs: new Uint8Array(ivs),
    data,
  };
}

/**
 * Runs packed jobs on a fixed set of runners, first come first served (each runner takes the next
 * job when it is free, so work stays balanced whatever the callers' pattern). @internal
 */
export class _WasmPool {
  readonly #idle: WasmRunner[];
  readonly runners: readonly WasmRunner[];
  readonly #queue: { job: NdeWasmJob; resolve: (out: Uint8Array) => void; reject: (err: unknown) => void }[] = [];
  #closed = false;

  constructor(runners: readonly WasmRunner[]) {
    this.runners = runners;
    this.#idle = [...runners];
  }

  /** Queues a job for the next free runner. */
  run(job: NdeWasmJob): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const runner = this.#idle.shift()!;
      const { job, resolve, reject } = this.#queue.shift()!;
      runner.run(job).then(resolve, reject).finally(() => {
        this.#idle.push(runner);
        this.#pump();
      });
    }
  }

  /** Rejects queued jobs with ERR_NDE_CLOSED and closes every runner (their memory is wiped). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.reject(closedError());
    await Promise.all(this.runners.map((r) => r.close()));
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

/** Copies of the weights for one call, named by `gen` (the same parameters keep their gen). */
function callParams(params: NdeParamsV2, gen: number): CallParams {
  return { gen, w1: new Uint8Array(params.w1), z1: new Uint8Array(params.z1), w2: new Uint8Array(params.w2), z2: new Uint8Array(params.z2) };
}

/** Cuts chunks into contiguous jobs of about 1 MiB (at least one per runner); returns the bounds. */
function jobBounds(items: readonly NdeChunk[], runners: number): number[] {
  const bytes = items.reduce((n, it) => n + it.data.length, 0);
  const jobs = Math.min(items.length, Math.max(runners, Math.ceil(bytes / JOB_BYTES)));
  const bounds = [0];
  // Near-equal bytes per job, chunks kept whole and in order.
  let acc = 0;
  for (let i = 0; i < items.length && bounds.length < jobs; i++) {
    acc += items[i]!.data.length;
    if (acc >= (bytes * bounds.length) / jobs && i + 1 < items.length) bounds.push(i + 1);
  }
  bounds.push(items.length);
  return bounds;
}

/**
 * One call, with everything it reads from its caller already read (as WebCrypto does): the caller may
 * reuse or wipe its key, salt and chunks as soon as the call has returned its promise.
 */
interface PreparedCall {
  results: Uint8Array[];
  /** where each non-empty chunk's result goes */
  at: number[];
  p: CallParams;
  decrypt: boolean;
  /** kernel in this thread: the non-empty chunks (the caller's, or copies when the run must wait) */
  chunks?: NdeChunk[];
  ivs?: Uint8Array;
  /** worker threads: the packed jobs, with the number of chunks in each */
  jobs?: { job: NdeWasmJob; count: number }[];
}

/**
 * Reads a call's inputs (inputs already checked): derives the start states and, for worker threads,
 * packs the jobs; for the kernel in this thread, keeps references when it runs at once (`copy`
 * false) and copies the chunks otherwise.
 */
function prepareCall(p: CallParams, prk: Uint8Array, items: readonly NdeChunk[], decrypt: boolean, how: 'direct' | 'copy' | { workers: number }): PreparedCall {
  const results = new Array<Uint8Array>(items.length);
  const at: number[] = [];
  const chunks: NdeChunk[] = [];
  items.forEach((item, i) => {
    if (item.data.length === 0) results[i] = new Uint8Array(0);
    else {
      at.push(i);
      chunks.push(item);
    }
  });
  const ivs = new Uint8Array(chunks.length * NDE_V2_STATE);
  chunks.forEach((c, i) => _deriveIvV2(prk, c.index, ivs, i * NDE_V2_STATE));
  if (how === 'direct') return { results, at, p, decrypt, chunks, ivs };
  if (how === 'copy') return { results, at, p, decrypt, chunks: chunks.map((c) => ({ index: c.index, data: new Uint8Array(c.data) })), ivs };
  const jobs: { job: NdeWasmJob; count: number }[] = [];
  if (chunks.length > 0) {
    const bounds = jobBounds(chunks, how.workers);
    for (let j = 1; j < bounds.length; j++) {
      const [a, b] = [bounds[j - 1]!, bounds[j]!];
      jobs.push({ job: _packJob({ p, items: chunks.slice(a, b), ivs: ivs.subarray(a * NDE_V2_STATE, b * NDE_V2_STATE), decrypt }), count: b - a });
    }
  }
  ivs.fill(0);
  return { results, at, p, decrypt, jobs };
}

/** Finishes a prepared call on `runner`s pool; wipes the call's copies whatever happens. */
async function finishCall(pool: _WasmPool, call: PreparedCall): Promise<Uint8Array[]> {
  try {
    const { results, at } = call;
    const inline = pool.runners[0]?.runSync;
    if (call.chunks) {
      if (!inline) throw new NqcNdeError('ERR_NDE_BACKEND_FAILED', 'the NDE WebAssembly runner cannot run in this thread');
      const out = inline({ p: call.p, items: call.chunks, ivs: call.ivs!, decrypt: call.decrypt });
      out.forEach((o, i) => (results[at[i]!] = o));
      return results;
    }
    let next = 0;
    await Promise.all(
      call.jobs!.map(async ({ job, count }) => {
        const first = next;
        next += count;
        const lens = job.lens;
        const out = await pool.run(job);
        // Each result gets its own buffer of exactly its length (a single-chunk job's buffer is the chunk).
        let off = 0;
        for (let i = 0; i < count; i++) {
          results[at[first + i]!] = count === 1 ? out : out.slice(off, off + lens[i]!);
          off += lens[i]!;
        }
      }),
    );
    return results;
  } finally {
    wipeCall(call, false);
  }
}

/**
 * Overwrites a call's key-derived copies; with `all`, also what it packed or copied and never ran
 * (jobs that went to a worker are detached here: nothing left to wipe).
 */
function wipeCall(call: PreparedCall, all: boolean): void {
  for (const b of [call.p.w1, call.p.z1, call.p.w2, call.p.z2]) b.fill(0);
  call.ivs?.fill(0);
  if (!all) return;
  for (const { job } of call.jobs ?? []) for (const b of [job.w1, job.z1, job.w2, job.z2, job.ivs, job.data]) b.fill(0);
}

/**
 * Runs the known-answer cases of kat.ts on every runner (each case is one call, so every kernel path
 * runs on every runner, through the code real calls take); rejects with ERR_NDE_SELF_TEST_FAILED on
 * any difference.
 * @internal
 */
export async function _selfTestWasm(runners: readonly WasmRunner[]): Promise<void> {
  const { key, salt, cases } = _wasmKatInputs();
  const cache = new _ParamCacheV2();
  const params = cache.get(key, salt);
  const gen = nextGen++;
  try {
    for (const runner of runners) {
      const pool = new _WasmPool([runner]); // never closed: the runner belongs to the caller
      for (const { name, items } of cases) {
        for (const decrypt of [false, true]) {
          const mode = decrypt ? 'decrypt' : 'encrypt';
          let got: string;
          try {
            const call = prepareCall(callParams(params, gen), params.prk, items, decrypt, runner.runSync ? 'direct' : { workers: 1 });
            got = bytesToHex(sha256(concat(await finishCall(pool, call))));
          } catch (err) {
            throw new NqcNdeError('ERR_NDE_SELF_TEST_FAILED', 'WebAssembly backend self-test could not run', { cause: err });
          }
          if (got !== _WASM_KAT[name]?.[mode]) {
            throw new NqcNdeError(
              'ERR_NDE_SELF_TEST_FAILED',
              `WebAssembly backend disagrees with the NDE v2 known answers (${mode}, ${name}): refusing to run`,
            );
          }
        }
      }
    }
  } finally {
    cache.clear();
  }
}

/**
 * Internal options of the WebAssembly backend (tests inject a different module through them).
 * @internal
 */
export interface WasmBackendInternals {
  /** module bytes to compile instead of the embedded (hash-checked) module */
  moduleBytes?: Uint8Array;
  /** worker threads (from pool.ts) and how many; default: the kernel in this thread */
  workers?: { count: number; factory: WasmRunnerFactory };
}

/**
 * Builds a WebAssembly backend. The module is compiled, the runners started and the self-test run on
 * first use (or `ready()`); a failure is not cached, so a later call retries. Every call reads its
 * inputs before it returns its promise.
 * @internal
 */
export function _createWasmBackend(internals: WasmBackendInternals = {}): NdeWasmBackend {
  const workers = internals.workers;
  const cache = new _ParamCacheV2();
  let cached: { params: NdeParamsV2; gen: number } | undefined;
  let poolPromise: Promise<_WasmPool> | undefined;
  let readyPool: _WasmPool | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const start = async (): Promise<_WasmPool> => {
    const module = internals.moduleBytes ? await _compileWasm(internals.moduleBytes) : await _embeddedWasmModule();
    const runners = await (workers ? workers.factory(module) : _inlineRunners(module));
    try {
      await _selfTestWasm(runners);
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return new _WasmPool(runners);
  };
  const pool = (): Promise<_WasmPool> => {
    if (closed) return Promise.reject(closedError());
    poolPromise ??= start().then(
      (p) => (readyPool = p),
      (err: unknown) => {
        poolPromise = undefined;
        throw err;
      },
    );
    return poolPromise;
  };

  const runBatch = (key: Uint8Array, salt: Uint8Array, items: NdeChunk[], decrypt: boolean): Promise<Uint8Array[]> => {
    let call: PreparedCall;
    try {
      _checkKeySalt(key, salt);
      _checkItems(items);
      if (closed) throw closedError();
      const params = cache.get(key, salt); // keeps its own copies of key and salt
      if (cached?.params !== params) cached = { params, gen: nextGen++ };
      // Own copies of the weights: a later call with another key replaces (and wipes) the cached ones.
      const p = callParams(params, cached.gen);
      const how = workers ? { workers: workers.count } : readyPool ? 'direct' : 'copy';
      call = prepareCall(p, params.prk, items, decrypt, how);
      // The kernel in this thread, started: run now, so the caller's buffers are read before we return.
      if (!workers && readyPool) return finishCall(readyPool, call);
    } catch (err) {
      return Promise.reject(err);
    }
    return pool().then(
      (ready) => {
        if (closed) {
          // closed while this call waited for the start: the kernel's memory is wiped, keep it so
          wipeCall(call, true);
          throw closedError();
        }
        return finishCall(ready, call);
      },
      (err: unknown) => {
        wipeCall(call, true);
        throw err;
      },
    );
  };

  const backend: NdeWasmBackend = {
    name: 'wasm',
    version: 2,
    get modelId() {
      return ndeModelIdOf(2);
    },
    encryptChunks: (key, salt, items) => runBatch(key, salt, items, false),
    decryptChunks: (key, salt, items) => runBatch(key, salt, items, true),
    ready: async () => {
      await pool();
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        const p = poolPromise;
        poolPromise = readyPool = undefined;
        if (p) await (await p.catch(() => undefined))?.close();
        cache.clear();
        cached = undefined;
      })()),
  };
  return backend;
}

/**
 * Creates the WebAssembly SIMD backend of NDE v2, running in the calling thread (browsers and Node;
 * in a browser page, create it inside a Web Worker so that the page never stalls). The module is
 * embedded (no file fetch); it is compiled and checked with a known-answer self-test on first use,
 * and the backend refuses to run on a mismatch. In Node, `createNde({ backend: 'wasm', workers })`
 * from `@nqc/nde/node` spreads batches over worker threads.
 *
 * Exact on every engine and CPU: WebAssembly integer arithmetic is fully specified.
 *
 * @returns a backend whose calls reject with `ERR_NDE_INVALID_INPUT`, `ERR_NDE_BACKEND_UNAVAILABLE`
 *   (no WebAssembly SIMD here), `ERR_NDE_SELF_TEST_FAILED`, `ERR_NDE_BACKEND_FAILED`, `ERR_NDE_CLOSED`
 * @example
 * ```ts
 * import { createWasmNde } from '@nqc/nde';
 * const nde = createWasmNde();
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * const [pt] = await nde.decryptChunks(key, salt, [{ index: 0, data: ct }]);
 * await nde.close(); // wipes the weights
 * ```
 */
export function createWasmNde(): NdeWasmBackend {
  return _createWasmBackend();
}
