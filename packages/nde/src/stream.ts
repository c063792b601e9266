import { _checkIndex, _checkKeySalt } from './checks.js';
import { NDE_MAX_CHUNK_INDEX } from './constants.js';
import { NqcNdeError } from './errors.js';
import type { NdeBackend, NdeChunk } from './types.js';

/** Default chunk size of the streaming transforms (the envelope's chunk size). */
export const NDE_DEFAULT_CHUNK_SIZE = 65536;

/** Largest chunk size the streaming transforms accept. */
export const NDE_MAX_CHUNK_SIZE = 16 * 1024 * 1024;

/** Options of {@link createNdeTransform}. */
export interface NdeStreamOptions {
  /** 32-byte NDE key */
  key: Uint8Array;
  /** envelope salt */
  salt: Uint8Array;
  /** `'encrypt'` (default) or `'decrypt'` */
  mode?: 'encrypt' | 'decrypt';
  /** bytes per chunk, 1..16 MiB; default 65536. Encrypt and decrypt must use the same value. */
  chunkSize?: number;
  /** index of the first chunk; default 0 (use it to resume or seek) */
  firstIndex?: number;
  /** chunks handed to the backend per call; default 32 */
  batch?: number;
  /**
   * backend calls kept in flight (results are still emitted in order); default 2, so that a worker
   * pool stays busy. Memory held is about (inflight + 1) x batch x chunkSize, whatever the stream length.
   */
  inflight?: number;
}

/**
 * Cuts a byte stream into chunks, numbers them, and runs them through a backend in batches.
 * Shared by the Web and Node stream adapters. @internal
 */
export class _ChunkBatcher {
  readonly #backend: NdeBackend;
  readonly #key: Uint8Array;
  readonly #salt: Uint8Array;
  readonly #decrypt: boolean;
  readonly #chunkSize: number;
  readonly #batch: number;
  #next: number;
  #cur: Uint8Array;
  #fill = 0;
  #pending: NdeChunk[] = [];
  readonly #inflightMax: number;
  readonly #inflight: Promise<Uint8Array[]>[] = [];

  constructor(backend: NdeBackend, opts: NdeStreamOptions) {
    if (typeof opts !== 'object' || opts === null) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', '"options" expected an object');
    }
    _checkKeySalt(opts.key, opts.salt);
    const mode = opts.mode ?? 'encrypt';
    if (mode !== 'encrypt' && mode !== 'decrypt') {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"mode" expected 'encrypt' or 'decrypt', got ${String(mode)}`);
    }
    const chunkSize = opts.chunkSize ?? NDE_DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > NDE_MAX_CHUNK_SIZE) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"chunkSize" expected an integer in 1..${NDE_MAX_CHUNK_SIZE}, got ${String(chunkSize)}`);
    }
    const batch = opts.batch ?? 32;
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > 1024) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"batch" expected an integer in 1..1024, got ${String(batch)}`);
    }
    const inflight = opts.inflight ?? 2;
    if (!Number.isSafeInteger(inflight) || inflight < 1 || inflight > 64) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"inflight" expected an integer in 1..64, got ${String(inflight)}`);
    }
    this.#inflightMax = inflight;
    const first = opts.firstIndex ?? 0;
    _checkIndex(first, 'firstIndex');
    this.#backend = backend;
    // Real copies (Buffer.prototype.slice is a view): the caller may reuse its buffers, and flush wipes ours.
    this.#key = new Uint8Array(opts.key);
    this.#salt = new Uint8Array(opts.salt);
    this.#decrypt = mode === 'decrypt';
    this.#chunkSize = chunkSize;
    this.#batch = batch;
    this.#next = first;
    this.#cur = new Uint8Array(chunkSize);
  }

  /** Starts the pending batch; returns once fewer than `inflight` calls are running, emitting finished ones in order. */
  async #dispatch(emit: (out: Uint8Array) => void, drainAll: boolean): Promise<void> {
    const items = this.#pending;
    this.#pending = [];
    if (items.length > 0) {
      const call = this.#decrypt
        ? this.#backend.decryptChunks(this.#key, this.#salt, items)
        : this.#backend.encryptChunks(this.#key, this.#salt, items);
      call.catch(() => undefined); // awaited below, in order; avoid an unhandled rejection meanwhile
      this.#inflight.push(call);
    }
    while (this.#inflight.length >= (drainAll ? 1 : this.#inflightMax)) {
      for (const out of await this.#inflight.shift()!) emit(out);
    }
  }

  #closeChunk(): void {
    if (this.#next > NDE_MAX_CHUNK_INDEX) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', 'stream too long: chunk index exceeds 2^53 - 1');
    }
    this.#pending.push({ index: this.#next++, data: this.#cur.subarray(0, this.#fill) });
    this.#cur = new Uint8Array(this.#chunkSize);
    this.#fill = 0;
  }

  /** Adds bytes; calls `emit` for each processed batch (in order). */
  async push(bytes: Uint8Array, emit: (out: Uint8Array) => void): Promise<void> {
    if (!(bytes instanceof Uint8Array)) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `stream chunk expected Uint8Array, got type=${typeof bytes}`);
    }
    let off = 0;
    while (off < bytes.length) {
      const take = Math.min(this.#chunkSize - this.#fill, bytes.length - off);
      this.#cur.set(bytes.subarray(off, off + take), this.#fill);
      this.#fill += take;
      off += take;
      if (this.#fill === this.#chunkSize) {
        this.#closeChunk();
        if (this.#pending.length === this.#batch) await this.#dispatch(emit, false);
      }
    }
  }

  /** Processes what is left: the pending full chunks and the final partial chunk, if any. */
  async flush(emit: (out: Uint8Array) => void): Promise<void> {
    try {
      if (this.#fill > 0) this.#closeChunk();
      await this.#dispatch(emit, true);
    } finally {
      this.#key.fill(0);
    }
  }
}

/**
 * A Web `TransformStream` that encrypts or decrypts a byte stream of any length with NDE: it cuts the
 * input into `chunkSize` chunks numbered from `firstIndex` and sends them to `backend` in batches.
 * Memory stays bounded (about (inflight + 1) x batch x chunkSize plus one input write) whatever the
 * stream length.
 *
 * NDE does no authentication: use it inside an AEAD (the envelope container does).
 *
 * @param backend - `referenceBackend` or a backend from `createNde()` (`@nqc/nde/node`)
 * @param opts - key, salt, mode, chunking
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` on bad options
 * @example
 * ```ts
 * const ct = plaintextStream.pipeThrough(createNdeTransform(referenceBackend, { key, salt }));
 * const pt = ct.pipeThrough(createNdeTransform(referenceBackend, { key, salt, mode: 'decrypt' }));
 * ```
 */
export function createNdeTransform(backend: NdeBackend, opts: NdeStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  const batcher = new _ChunkBatcher(backend, opts);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => batcher.push(chunk, (out) => controller.enqueue(out)),
    flush: (controller) => batcher.flush((out) => controller.enqueue(out)),
  });
}
