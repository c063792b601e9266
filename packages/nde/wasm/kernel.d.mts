// Types of kernel.mjs (plain JS so that worker threads can load it; see that file).

/** One batch of NDE v2 chunks for the kernel: plain data, posted to worker threads as is. */
export interface NdeWasmJob {
  /** names the weights: a kernel already holding weights of this `gen` does not prepare them again */
  gen: number;
  /** layer 1 weights [64][64], zero points [64], layer 2 weights [64][576], zero points [576] */
  w1: Uint8Array;
  z1: Uint8Array;
  w2: Uint8Array;
  z2: Uint8Array;
  decrypt: boolean;
  /** chunk lengths, in order (each >= 0) */
  lens: number[];
  /** 64-byte start states, one per chunk */
  ivs: Uint8Array;
  /** the chunks back to back, processed in place */
  data: Uint8Array;
}

/**
 * A compiled `WebAssembly.Module` (typed opaquely: this package compiles without lib "dom", and Node's
 * types do not declare the WebAssembly namespace).
 */
export type WasmModule = object;

/** One instance of the kernel with its own memory; one job at a time. */
export declare class NdeWasmKernel {
  private constructor();
  static create(module: WasmModule): Promise<NdeWasmKernel>;
  /** Runs `job` in place and returns `job.data`; scrubs states and data windows afterwards. */
  run(job: NdeWasmJob): Uint8Array;
  /**
   * Runs chunks `src[i]` into `dst[i]` (same lengths; `dst[i]` may be `src[i]`) with the weights,
   * direction and start states of `job` (its `data` and `lens` are not used); scrubs afterwards.
   */
  runChunks(job: Omit<NdeWasmJob, 'data' | 'lens'>, src: readonly Uint8Array[], dst: readonly Uint8Array[]): void;
  /** Zeroes states and data windows (weights stay). */
  scrub(): void;
  /** Zeroes all of the kernel's memory, weights included. */
  wipe(): void;
}
