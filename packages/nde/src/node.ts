/**
 * `@nqc/nde/node`: the onnxruntime-node backend, its worker pool, backend selection and Node stream
 * adapters. Everything from `@nqc/nde` is re-exported.
 *
 * @packageDocumentation
 */
import { Transform, type TransformCallback } from 'node:stream';
import { NqcNdeError } from './errors.js';
import { createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';
import { referenceBackend } from './reference.js';
import { _ChunkBatcher, type NdeStreamOptions } from './stream.js';
import type { NdeBackend } from './types.js';

export * from './index.js';
export { createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js';

/** Options of {@link createNde}. */
export interface CreateNdeOptions extends OnnxBackendOptions {
  /**
   * `'auto'` (default): the ONNX backend if onnxruntime-node loads and passes its self-test, else the
   * reference backend. `'onnx'`: the ONNX backend or an error. `'reference'`: the reference backend.
   */
  backend?: 'auto' | 'reference' | 'onnx';
}

/**
 * Returns a ready NDE backend. For `'onnx'` and `'auto'` it starts the session(s) and runs the
 * known-answer self-test now, so that a broken install shows up here rather than mid-stream.
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
