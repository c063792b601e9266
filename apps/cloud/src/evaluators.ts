/**
 * The server's SEAL worker threads: one `HeWorkerEvaluator` per dataset, started on first use and
 * kept warm, at most `max` of them (least recently used idle ones are closed), so that creating many
 * datasets cannot make the server start unboundedly many threads.
 * @module
 */
import { HeWorkerEvaluator } from '@nqc/she/node';

interface Entry {
  readonly ev: Promise<HeWorkerEvaluator>;
  busy: number;
}

/** A bounded pool of evaluators keyed by dataset id. */
export class EvaluatorCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  /** @param max - most worker threads kept (at least 1) */
  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  /** Worker threads currently kept. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `task` with the dataset's evaluator (started from `bundle` if not kept).
   * @param id - dataset id
   * @param bundle - its encoded evaluation bundle
   * @param task - what to do with the evaluator
   */
  async use<T>(id: string, bundle: Uint8Array, task: (ev: HeWorkerEvaluator) => Promise<T>): Promise<T> {
    let e = this.#entries.get(id);
    if (e) this.#entries.delete(id); // re-inserted below: most recently used last
    else e = { ev: HeWorkerEvaluator.create(bundle), busy: 0 };
    this.#entries.set(id, e);
    e.busy++;
    this.#evict();
    try {
      return await task(await e.ev);
    } catch (err) {
      if (this.#entries.get(id) === e && (await e.ev.then(() => false, () => true))) this.#entries.delete(id);
      throw err;
    } finally {
      e.busy--;
      this.#evict();
    }
  }

  /** Keeps an evaluator already started (dataset creation checked the bundle with it). */
  adopt(id: string, ev: HeWorkerEvaluator): void {
    this.#entries.set(id, { ev: Promise.resolve(ev), busy: 0 });
    this.#evict();
  }

  /** Closes every worker thread. */
  async close(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map(async (e) => (await e.ev.catch(() => undefined))?.close()));
  }

  #evict(): void {
    for (const [id, e] of this.#entries) {
      if (this.#entries.size <= this.#max) return;
      if (e.busy > 0) continue;
      this.#entries.delete(id);
      void e.ev.then((ev) => ev.close(), () => undefined);
    }
  }
}
