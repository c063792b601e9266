/**
 * `@nqc/nde/node`: the onnxruntime-node backend, its worker pool, backend selection and Node stream
 * adapters. Everything from `@nqc/nde` is re-exported.
 *
 * @packageDocumentation
 */
import { Transform, type TransformCallback } from 'node:stream';
import { NqcNdeError } from './errors.js';
import { _closeAllOnnx, createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';
import { referenceBackend } from './reference.js';
import { _ChunkBatcher, type NdeStreamOptions } from './stream.js';
import type { NdeBackend } from './types.js';

export * from './index.js';
export { createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';

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
export function closeAllNde(): Promise<void> {
  return _closeAllOnnx();
}

/** Options of {@link createNde}. */
export interface CreateNdeOptions extends OnnxBackendOptions {
  /**
   * `'auto'` (default): the ONNX backend if onnxruntime-node loads and passes its self-test, else the
   * reference backend. `'onnx'`: the ONNX backend or an error. `'reference'`: the reference backend.
   */
  backend?: 'auto' | 'reference' | 'onnx';
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
 * @param opts - backend choice, worker count
 * @throws NqcNdeError `ERR_NDE_BACKEND_UNAVAILABLE`, `ERR_NDE_MODEL_MISMATCH`, `ERR_NDE_SELF_TEST_FAILED`
 *   (only with `backend: 'onnx'`; `'auto'` falls back to the reference backend instead)
 * @example
 * ```ts
 * import { createNde } from '@nqc/nde/node';
 * const nde = await createNde();            // ONNX if it works here, else reference
 * const [ct] = await nde.encryptChunks(key, salt, [{ index: 0, data }]);
 * const [pt] = await nde.decryptChunks(key, salt, [{ index: 0, data: ct }]);
 * await nde.close();
 * ```
 */
export async function createNde(opts: CreateNdeOptions = {}): Promise<NdeBackend> {
  const choice = opts.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'reference' && choice !== 'onnx') {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"backend" expected 'auto', 'reference' or 'onnx', got ${String(choice)}`);
  }
  if (choice === 'reference') return referenceBackend;
  const onnx = createOnnxBackend(opts);
  try {
    await onnx.ready();
    return onnx;
  } catch (err) {
    await onnx.close();
    if (choice === 'onnx') throw err;
    fallback(err, opts.onFallback);
    return referenceBackend;
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
