/**
 * `@nqc/nde/node`: the onnxruntime-node backend, its worker pool, backend selection and Node stream
 * adapters. Everything from `@nqc/nde` is re-exported.
 *
 * @packageDocumentation
 */
import { Transform, type TransformCallback } from 'node:stream';
import { NqcNdeError } from './errors.js';
import { _closeAllOnnx, createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';
import { _closeAllOnnxV2, createOnnxBackendV2 } from './onnx/v2/backend.js';
import { _createWasmBackendNode } from './wasm/pool.js';
import { referenceBackend, referenceBackendV2 } from './reference.js';
import { _checkVersion } from './checks.js';
import { _ChunkBatcher, type NdeStreamOptions } from './stream.js';
import type { NdeBackend } from './types.js';
import type { NdeVersion } from './versions.js';

export * from './index.js';
export { createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';
export { createOnnxBackendV2, type OnnxBackendV2Options } from './onnx/v2/backend.js';
export { createWasmBackend, type WasmBackendOptions } from './wasm/pool.js';

/**
 * Closes every ONNX backend this process created (with {@link createNde} or `createOnnxBackend`)
 * and resolves once all their worker threads have exited. Calls still queued or in flight reject
 * with `ERR_NDE_CLOSED`; a `session.run` in progress is let finish (a fraction of a second per
 * batch), never cut.
 *
 * Call it before `process.exit()` when the process may be mid-encryption, e.g. in a SIGINT handler:
 * `process.exit()` and `worker.terminate()` stop worker threads wherever they are, and onnxruntime-node
 * aborts the whole process (exit 134, "terminate called after throwing an instance of 'Napi::Error'")
 * when that happens inside a run.
 *
 * @example
 * ```ts
 * process.on('SIGINT', () => void closeAllNde().finally(() => process.exit(130)));
 * ```
 */
export async function closeAllNde(): Promise<void> {
  await Promise.all([_closeAllOnnx(), _closeAllOnnxV2()]);
}

/** Options of {@link createNde}. */
export interface CreateNdeOptions extends OnnxBackendOptions {
  /**
   * NDE construction version, 1 or 2; default **1** for now (existing callers keep writing v1; the
   * default becomes `NDE_DEFAULT_VERSION` once `@nqc/core` writes v2 envelopes). Pass it explicitly:
   * for decryption it is the version the envelope names (`ndeVersionOf(header model id)`).
   */
  version?: NdeVersion;
  /**
   * `'auto'` (default): the fastest backend of `version` that loads and passes its self-test, else
   * the reference backend (v1: ONNX, else reference with a warning; v2: WebAssembly, else ONNX, else
   * reference with a warning). `'onnx'` / `'wasm'` (v2 only): that backend or an error.
   * `'reference'`: the reference backend of `version`.
   */
  backend?: 'auto' | 'reference' | 'onnx' | 'wasm';
  /**
   * Called when `'auto'` falls back to the reference backend (10-20x slower), with the reason (an
   * NqcNdeError whose `cause` is the underlying failure). When omitted, the process gets one warning
   * instead (see {@link NDE_FALLBACK_WARNING_CODE}).
   */
  onFallback?: (reason: NqcNdeError) => void;
}

/**
 * `code` of the process warning (`process.emitWarning`) that `createNde({ backend: 'auto' })` emits
 * once per process when it falls back to the reference backend. Its `name` is `'NqcNdeWarning'`;
 * Node prints it on stderr unless warnings are disabled. Listen with
 * `process.on('warning', (w) => { if ((w as { code?: string }).code === NDE_FALLBACK_WARNING_CODE) ... })`.
 */
export const NDE_FALLBACK_WARNING_CODE = 'NQC_NDE_FALLBACK';

let lastFallback: NqcNdeError | undefined;
let warned = false;

/**
 * Why the most recent `createNde({ backend: 'auto' })` in this process fell back to the reference
 * backend, or `undefined` if none did (the ONNX backend loaded and passed its self-test, or no
 * `'auto'` backend was created yet).
 *
 * @example
 * ```ts
 * const nde = await createNde();
 * if (nde.name === 'reference') console.error(`slow NDE: ${ndeFallbackReason()?.message}`);
 * ```
 */
export function ndeFallbackReason(): NqcNdeError | undefined {
  return lastFallback;
}

/** Describes a fallback for a human: the typed error's message and its underlying cause. */
function describeFallback(reason: NqcNdeError): string {
  const cause = reason.cause instanceof Error ? `: ${reason.cause.message.split('\n')[0]}` : '';
  return `${reason.code}: ${reason.message}${cause}`;
}

function fallback(err: unknown, onFallback: CreateNdeOptions['onFallback']): void {
  const reason =
    err instanceof NqcNdeError ? err : new NqcNdeError('ERR_NDE_BACKEND_FAILED', 'the ONNX backend failed to start', { cause: err });
  lastFallback = reason;
  if (onFallback) {
    onFallback(reason);
    return;
  }
  if (warned) return;
  warned = true;
  process.emitWarning(
    `NDE runs on the reference backend, 10-20x slower than ONNX (${describeFallback(reason)}).` +
      (reason.code === 'ERR_NDE_BACKEND_UNAVAILABLE'
        ? ' For full speed install onnxruntime-node (an optional dependency; offline, install with ONNXRUNTIME_NODE_INSTALL=skip so its install script does not fail).'
        : ''),
    { type: 'NqcNdeWarning', code: NDE_FALLBACK_WARNING_CODE, detail: describeFallback(reason) },
  );
}

/**
 * Returns a ready NDE backend. For `'onnx'` and `'auto'` it starts the session(s) and runs the
 * known-answer self-test now, so that a broken install shows up here rather than mid-stream.
 *
 * With `'auto'`, a fallback to the reference backend is not silent: `opts.onFallback` is called, or
 * else the process gets one warning with code {@link NDE_FALLBACK_WARNING_CODE}; the reason stays
 * readable with {@link ndeFallbackReason}.
 *
 * @param opts - version, backend choice, worker count
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` (a version other than 1 or 2, an unknown backend);
 *   `ERR_NDE_BACKEND_UNAVAILABLE` (the chosen backend does not exist for this version here, or cannot
 *   load), `ERR_NDE_MODEL_MISMATCH`, `ERR_NDE_SELF_TEST_FAILED` (only with an explicit backend;
 *   `'auto'` falls back to the reference backend instead)
 * @example
 * ```ts
 * import { createNde } from '@nqc/nde/node';
 * const nde = await createNde({ version: 2 });  // the fastest v2 backend that works here
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * const [pt] = await nde.decryptChunks(key, salt, [{ index: 0, data: ct }]);
 * await nde.close();
 * ```
 */
export async function createNde(opts: CreateNdeOptions = {}): Promise<NdeBackend> {
  const choice = opts.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'reference' && choice !== 'onnx' && choice !== 'wasm') {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"backend" expected 'auto', 'reference', 'onnx' or 'wasm', got ${String(choice)}`);
  }
  const version = _checkVersion(opts.version === undefined ? 1 : opts.version);
  return version === 2 ? createNdeV2(choice, opts) : createNdeV1(choice, opts);
}

function unavailable(what: string): NqcNdeError {
  return new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', `${what} is not available in this build of @nqc/nde`);
}

/** Waits until `backend` has started (its self-test included); if it cannot, closes it and rethrows. */
async function started<B extends NdeBackend & { ready(): Promise<void> }>(backend: B): Promise<B> {
  try {
    await backend.ready();
    return backend;
  } catch (err) {
    await backend.close();
    throw err;
  }
}

async function createNdeV1(choice: NonNullable<CreateNdeOptions['backend']>, opts: CreateNdeOptions): Promise<NdeBackend> {
  if (choice === 'reference') return referenceBackend;
  if (choice === 'wasm') throw unavailable('the WebAssembly backend of NDE v1');
  const onnx = createOnnxBackend(opts);
  try {
    return await started(onnx);
  } catch (err) {
    if (choice === 'onnx') throw err;
    fallback(err, opts.onFallback);
    return referenceBackend;
  }
}

// Extension points for the v2 backends (one branch each; keep the reference as the last resort):
// - WebAssembly (src/wasm/): `'wasm'` returns it (or throws its typed error); `'auto'` tries it first.
// - ONNX v2 (src/onnx/): `'onnx'` returns it after its self-test; `'auto'` tries it when wasm fails
//   (or first, if it measures faster), and calls fallback(err, opts.onFallback) before the reference.
async function createNdeV2(choice: NonNullable<CreateNdeOptions['backend']>, opts: CreateNdeOptions): Promise<NdeBackend> {
  if (choice === 'reference') return referenceBackendV2;
  // 'auto' tries WebAssembly first (wasm engineer, 2026-12-02): exact by construction, no native
  // dependency, and it measured faster than ONNX v2 per core on the AVX-512 VNNI host (README, Speed).
  let wasmErr: unknown;
  if (choice === 'wasm' || choice === 'auto') {
    const wasm = _createWasmBackendNode({ workers: opts.workers });
    try {
      return await started(wasm);
    } catch (err) {
      if (choice === 'wasm') throw err;
      wasmErr = err;
    }
  }
  const onnx = createOnnxBackendV2(opts);
  try {
    return await started(onnx);
  } catch (err) {
    if (choice === 'onnx') throw err;
    fallback(wasmErr ?? err, opts.onFallback); // the preferred backend's reason
    return referenceBackendV2;
  }
}

/**
 * A Node `Transform` stream doing what `createNdeTransform` does for Web streams: chunking, index
 * counting, batched calls to `backend`, bounded memory (backpressure is respected: the next write
 * waits for the current batch).
 *
 * @param backend - any NDE backend
 * @param opts - key, salt, mode, chunkSize, firstIndex, batch
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` on bad options
 * @example
 * ```ts
 * await pipeline(createReadStream('in'), createNdeNodeTransform(nde, { key, salt }), createWriteStream('out'));
 * ```
 */
export function createNdeNodeTransform(backend: NdeBackend, opts: NdeStreamOptions): Transform {
  const batcher = new _ChunkBatcher(backend, opts);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      batcher.push(bytes, (out) => this.push(out)).then(() => done(), done);
    },
    flush(done: TransformCallback) {
      batcher.flush((out) => this.push(out)).then(() => done(), done);
    },
  });
}
