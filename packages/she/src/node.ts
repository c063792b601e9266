/**
 * `@nqc/she/node`: Node-only helpers. {@link HeWorkerEvaluator} runs SEAL in a worker thread, so a WASM
 * trap, `std::bad_alloc` or a hang (after `bad_alloc` the next SEAL call was seen never to return) is
 * contained: the worker is terminated and a fresh one starts on the next call.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NqcSheError, type SheErrorCode } from './errors.js';
import { decodeCiphertext, encodeCiphertext, type HeCiphertext } from './format.js';
import type { HeMean } from './client.js';
import { EvaluationBundle } from './keys.js';
import { noteRunning, runningOf, type RunningSum } from './_running.js';

/** Options of {@link HeWorkerEvaluator.create}. */
export interface HeWorkerOptions {
  /** Milliseconds one operation may take before the worker is presumed hung and terminated. Default 120,000. */
  readonly timeoutMs?: number;
  /** WASM/JS heap cap for the worker (MiB, `resourceLimits.maxOldGenerationSizeMb`). Default: Node's. */
  readonly maxOldGenerationSizeMb?: number;
}

function workerUrl(): URL {
  // Built: dist/node.js next to dist/worker.js. From sources (tests): fall back to the built worker.
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new NqcSheError('ERR_SHE_UNSUPPORTED', 'worker script not found: build @nqc/she first (pnpm build)');
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * An evaluator that runs in a worker thread. Same operations as `HeEvaluator`, asynchronous, with
 * ciphertexts passed as objects (encoded for the trip). If SEAL fails fatally, hangs past `timeoutMs`
 * or the worker dies, pending calls reject with `ERR_SHE_SEAL_FATAL` and the next call restarts it.
 *
 * @example
 * ```ts
 * const ev = await HeWorkerEvaluator.create(bundleBytes);
 * const total = await ev.sum(columns, 'amount');
 * await ev.close();
 * ```
 */
export class HeWorkerEvaluator {
  readonly keyId: string;
  /** `sum` and `mean` continue an earlier `sum` passed as their first input (see `sum`); read by `@nqc/core`'s `aggregate`. */
  readonly runningSums = true as const;
  #bundle: Uint8Array;
  #opts: HeWorkerOptions;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #pending = new Map<number, Pending>();
  #next = 1;
  #restarts = 0;

  private constructor(bundle: EvaluationBundle, bytes: Uint8Array, opts: HeWorkerOptions) {
    this.keyId = bundle.keyId;
    this.#bundle = bytes;
    this.#opts = opts;
  }

  /**
   * Checks the bundle here (secret key material refused, `ERR_SHE_KEY_KIND`), then starts the worker.
   * @param bundle encoded evaluation bundle
   */
  static async create(bundle: Uint8Array, options: HeWorkerOptions = {}): Promise<HeWorkerEvaluator> {
    const b = await EvaluationBundle.decode(bundle);
    const w = new HeWorkerEvaluator(b, bundle, options);
    await w.#start();
    return w;
  }

  /** How many times the worker was restarted after a fatal failure. */
  get restarts(): number {
    return this.#restarts;
  }

  /** See `HeEvaluator.count`. */
  async count(inputs: readonly HeCiphertext[]): Promise<number> {
    return (await this.#call('count', inputs, '')) as number;
  }
  /**
   * See `HeEvaluator.sum`. Running sums too: the first input may be an earlier `sum` this
   * evaluator (or one in this process) returned, the object itself; it crosses to the worker
   * encoded, with what it stands for (inputs folded in, the field), and the answer comes back the
   * same way, so it can be continued in turn.
   */
  async sum(inputs: readonly HeCiphertext[], path: string): Promise<HeCiphertext> {
    return this.#running(await this.#call('sum', inputs, path));
  }
  /**
   * See `HeEvaluator.sumSlots`: adds the ciphertexts only (no Galois keys needed). Running slot
   * sums as for {@link HeWorkerEvaluator.sum}: the first input may be an earlier `sumSlots` result
   * an evaluator of this process returned, the object itself (copies and decoded ones are refused).
   */
  async sumSlots(inputs: readonly HeCiphertext[], path: string): Promise<HeCiphertext> {
    return this.#running(await this.#call('sumSlots', inputs, path));
  }
  /** See `HeEvaluator.mean` (running means as for {@link HeWorkerEvaluator.sum}: pass the earlier `sum` first). */
  async mean(inputs: readonly HeCiphertext[], path: string): Promise<HeMean> {
    const sum = this.#running(await this.#call('mean', inputs, path));
    return Object.freeze({ sum, count: sum.count });
  }
  /** See `HeEvaluator.weightedSum`. */
  async weightedSum(inputs: readonly HeCiphertext[], path: string, weights: readonly number[]): Promise<HeCiphertext> {
    return decodeCiphertext(((await this.#call('weightedSum', inputs, path, undefined, weights)) as Uint8Array[])[0]!);
  }
  /** See `HeEvaluator.sumOfSquares`. */
  async sumOfSquares(inputs: readonly HeCiphertext[], path: string): Promise<HeCiphertext> {
    return decodeCiphertext(((await this.#call('sumOfSquares', inputs, path)) as Uint8Array[])[0]!);
  }
  /** See `HeEvaluator.product`. */
  async product(inputs: readonly HeCiphertext[], a: string, b: string): Promise<HeCiphertext[]> {
    return ((await this.#call('product', inputs, a, b)) as Uint8Array[]).map((x) => decodeCiphertext(x));
  }

  /** Decodes a sum's answer and records what it stands for, so that it can be continued. */
  #running(answer: unknown): HeCiphertext {
    const { bytes, running } = answer as { bytes: Uint8Array[]; running?: RunningSum };
    const ct = decodeCiphertext(bytes[0]!);
    if (running) noteRunning(ct, running);
    return ct;
  }

  /** Terminates the worker. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#failAll('ERR_SHE_DISPOSED', 'worker evaluator was closed');
    await w?.terminate();
  }

  /** @internal Test hook: makes the worker crash (simulates a fatal SEAL failure). */
  async _crashForTest(): Promise<void> {
    await this.#ensure();
    this.#worker!.postMessage({ id: -1, op: '__crash__' });
  }

  #start(): Promise<void> {
    const worker = new Worker(workerUrl(), {
      workerData: { bundle: this.#bundle },
      resourceLimits: this.#opts.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: this.#opts.maxOldGenerationSizeMb } : undefined,
    });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const onFirst = (m: { id: number; ready?: boolean; error?: { code: SheErrorCode; message: string } }): void => {
        if (m.id !== 0) return;
        worker.off('message', onFirst);
        if (m.ready) return resolve();
        // A bundle SEAL refused (or aborted on) at start: this worker is done; the next call starts a fresh one.
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        void worker.terminate();
        reject(new NqcSheError(m.error?.code ?? 'ERR_SHE_SEAL', m.error?.message ?? 'worker failed to start'));
      };
      worker.on('message', onFirst);
      worker.once('error', (e) => reject(new NqcSheError('ERR_SHE_SEAL_FATAL', 'SEAL worker failed to start', { cause: e })));
    });
    worker.on('message', (m: { id: number; result?: unknown; error?: { code: SheErrorCode; message: string } }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) {
        p.reject(new NqcSheError(m.error.code, m.error.message));
        if (m.error.code === 'ERR_SHE_SEAL_FATAL') this.#kill();
      } else p.resolve(m.result);
    });
    const dead = (cause?: unknown): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#ready = undefined;
      this.#restarts++;
      this.#failAll('ERR_SHE_SEAL_FATAL', 'SEAL worker died; it will be restarted on the next call', cause);
    };
    worker.on('error', dead);
    worker.on('exit', () => dead());
    return this.#ready;
  }

  #kill(): void {
    const w = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#restarts++;
    this.#failAll('ERR_SHE_SEAL_FATAL', 'SEAL worker failed fatally; it will be restarted on the next call');
    void w?.terminate();
  }

  #failAll(code: SheErrorCode, message: string, cause?: unknown): void {
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new NqcSheError(code, message, cause === undefined ? undefined : { cause }));
    }
    this.#pending.clear();
  }

  async #ensure(): Promise<void> {
    if (!this.#worker) await this.#start();
    else await this.#ready;
  }

  async #call(op: string, inputs: readonly HeCiphertext[], path: string, path2?: string, weights?: readonly number[]): Promise<unknown> {
    const encoded = inputs.map((c) => encodeCiphertext(c));
    // An earlier sum to continue: what it stands for goes with it (the worker's copy is decoded anew).
    const first = Array.isArray(inputs) ? (inputs[0] as HeCiphertext | undefined) : undefined;
    const prev = first && first.kind === 'result' && (op === 'sum' || op === 'mean' || op === 'sumSlots') ? runningOf(first) : undefined;
    await this.#ensure();
    const id = this.#next++;
    const timeoutMs = this.#opts.timeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NqcSheError('ERR_SHE_SEAL_FATAL', `SEAL worker did not answer within ${timeoutMs} ms; restarting it`));
        this.#kill();
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#worker!.postMessage({ id, op, inputs: encoded, path, path2, weights, prev });
    });
  }
}
