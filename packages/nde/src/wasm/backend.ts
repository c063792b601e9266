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
 * One job: chunks with their start states (64 bytes each) and the call's weights. Holds references
 * only; a worker runner packs it into own buffers when it starts it. @internal
 */
export interface WasmWork {
  p: CallParams;
  items: readonly NdeChunk[];
  ivs: Uint8Array;
  decrypt: boolean;
}

/** Something that runs jobs: the kernel in this thread, or one worker thread. @internal */
export interface WasmRunner {
  /** runs `work` and resolves with one fresh output per chunk */
  run(work: WasmWork): Promise<Uint8Array[]>;
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

/** Bytes of whole chunks per job (a larger chunk is a job of its own): small jobs spread over workers. */
const JOB_BYTES = 1 << 20;

let nextGen = 1;

function backendFailed(err: unknown): NqcNdeError {
  return err instanceof NqcNdeError
    ? err
    : new NqcNdeError('ERR_NDE_BACKEND_FAILED', `the NDE WebAssembly kernel failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
}

/**
 * Runs the kernel in the calling thread (it blocks that thread while it runs), straight from the
 * callers' chunks into fresh outputs: no packing copy. @internal
 */
export const _inlineRunners: WasmRunnerFactory = async (module) => {
  const kernel = await NdeWasmKernel.create(module);
  return [
    {
      run: async ({ p, items, ivs, decrypt }) => {
        // One allocation per job (at most about 1 MiB), cut into views: an ArrayBuffer per chunk cost
        // ~54 us each in Chromium (~16x the kernel's time per byte at 64 KiB chunks, measured).
        const buf = new Uint8Array(items.reduce((n, it) => n + it.data.length, 0));
        let off = 0;
        const out = items.map((it) => buf.subarray(off, (off += it.data.length)));
        try {
          kernel.runChunks({ ...p, decrypt, ivs }, items.map((it) => it.data), out);
        } catch (err) {
          throw backendFailed(err);
        }
        return out;
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
 * Packs a job into own buffers for a worker thread (all transferred there): the chunks back to back,
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
 * Runs jobs on a fixed set of runners, first come first served. The queue holds references only: a
 * worker runner packs a job's buffers (a copy of its chunks) when it takes it, so copies exist for
 * at most one job per runner whatever the number of callers waiting. @internal
 */
export class _WasmPool {
  readonly #idle: WasmRunner[];
  readonly #all: readonly WasmRunner[];
  readonly #queue: { work: WasmWork; resolve: (out: Uint8Array[]) => void; reject: (err: unknown) => void }[] = [];
  #closed = false;

  constructor(runners: readonly WasmRunner[]) {
    this.#all = runners;
    this.#idle = [...runners];
  }

  /** Number of runners. */
  get size(): number {
    return this.#all.length;
  }

  /** Queues a job for the next free runner. */
  run(work: WasmWork): Promise<Uint8Array[]> {
    if (this.#closed) return Promise.reject(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const runner = this.#idle.shift()!;
      const { work, resolve, reject } = this.#queue.shift()!;
      runner.run(work).then(resolve, reject).finally(() => {
        this.#idle.push(runner);
        this.#pump();
      });
    }
  }

  /** Rejects queued jobs with ERR_NDE_CLOSED and closes every runner (their memory is wiped). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.reject(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    await Promise.all(this.#all.map((r) => r.close()));
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

function wipeCall(p: CallParams): void {
  p.w1.fill(0);
  p.z1.fill(0);
  p.w2.fill(0);
  p.z2.fill(0);
}

/** Cuts `count` chunks (total `bytes`) into contiguous jobs: about 1 MiB each, at least one per runner. */
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
 * Runs batch `items` on `pool` with weights `p`: the caller has checked the inputs. (With worker
 * threads, the results of one job are views of that job's buffer, at most about 1 MiB.)
 */
async function runOnPool(pool: _WasmPool, p: CallParams, prk: Uint8Array, items: readonly NdeChunk[], decrypt: boolean): Promise<Uint8Array[]> {
  const results = new Array<Uint8Array>(items.length);
  const work: { item: NdeChunk; at: number }[] = [];
  items.forEach((item, at) => (item.data.length === 0 ? (results[at] = new Uint8Array(0)) : work.push({ item, at })));
  const ivs = new Uint8Array(work.length * NDE_V2_STATE);
  work.forEach((w, i) => _deriveIvV2(prk, w.item.index, ivs, i * NDE_V2_STATE));
  const chunks = work.map((w) => w.item);
  if (chunks.length === 0) return results;
  const bounds = jobBounds(chunks, pool.size);
  try {
    await Promise.all(
      bounds.slice(1).map(async (end, j) => {
        const start = bounds[j]!;
        const part = chunks.slice(start, end);
        const out = await pool.run({ p, items: part, ivs: ivs.subarray(start * NDE_V2_STATE, end * NDE_V2_STATE), decrypt });
        for (let i = start; i < end; i++) results[work[i]!.at] = out[i - start]!;
      }),
    );
  } finally {
    ivs.fill(0);
  }
  return results;
}

/**
 * Runs the known-answer cases of kat.ts on every runner (each case is one job, so every kernel path
 * runs on every runner); rejects with ERR_NDE_SELF_TEST_FAILED on any difference.
 * @internal
 */
export async function _selfTestWasm(runners: readonly WasmRunner[]): Promise<void> {
  const { key, salt, cases } = _wasmKatInputs();
  const cache = new _ParamCacheV2();
  const params = cache.get(key, salt);
  const p = callParams(params, nextGen++);
  try {
    for (const runner of runners) {
      const pool = new _WasmPool([runner]); // never closed: the runner belongs to the caller
      for (const { name, items } of cases) {
        for (const decrypt of [false, true]) {
          const mode = decrypt ? 'decrypt' : 'encrypt';
          let got: string;
          try {
            got = bytesToHex(sha256(concat(await runOnPool(pool, p, params.prk, items, decrypt))));
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
    wipeCall(p);
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
  /** runner factory (default: the kernel in this thread) */
  runners?: WasmRunnerFactory;
}

/**
 * Builds a WebAssembly backend over a runner factory. The module is compiled, the runners started and
 * the self-test run on first use (or `ready()`); a failure is not cached, so a later call retries.
 * @internal
 */
export function _createWasmBackend(internals: WasmBackendInternals = {}): NdeWasmBackend {
  const factory = internals.runners ?? _inlineRunners;
  const cache = new _ParamCacheV2();
  let cached: { params: NdeParamsV2; gen: number } | undefined;
  let poolPromise: Promise<_WasmPool> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const start = async (): Promise<_WasmPool> => {
    const module = internals.moduleBytes ? await _compileWasm(internals.moduleBytes) : await _embeddedWasmModule();
    const runners = await factory(module);
    try {
      await _selfTestWasm(runners);
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()));
      throw err;
    }
    return new _WasmPool(runners);
  };
  const pool = (): Promise<_WasmPool> => {
    if (closed) return Promise.reject(new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed'));
    poolPromise ??= start().catch((err: unknown) => {
      poolPromise = undefined;
      throw err;
    });
    return poolPromise;
  };

  const runBatch = async (key: Uint8Array, salt: Uint8Array, items: NdeChunk[], decrypt: boolean): Promise<Uint8Array[]> => {
    _checkKeySalt(key, salt);
    _checkItems(items);
    const runners = await pool();
    if (closed) throw new NqcNdeError('ERR_NDE_CLOSED', 'the NDE backend is closed');
    const params = cache.get(key, salt);
    if (cached?.params !== params) cached = { params, gen: nextGen++ };
    // Own copies for this call: a later call with another key replaces (and wipes) the cached ones
    // while these jobs may still wait for a runner.
    const p = callParams(params, cached.gen);
    const prk = new Uint8Array(params.prk);
    try {
      return await runOnPool(runners, p, prk, items, decrypt);
    } finally {
      wipeCall(p);
      prk.fill(0);
    }
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
        poolPromise = undefined;
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
