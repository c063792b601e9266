import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NDE_MODEL_FILE, NDE_MODEL_ID_HEX } from '../constants.js';
import { NqcNdeError } from '../errors.js';

type Ort = typeof import('onnxruntime-node');

let ortPromise: Promise<Ort> | undefined;

/**
 * Turns off onnxruntime's telemetry before the native library loads (here or in a pool worker).
 *
 * Found the hard way: onnxruntime-node 1.30 on Linux, with telemetry left on, writes
 * `$TMPDIR/mat-debug-<pid>.log` and `$TMPDIR/.ses` at every session, keeps a device id and an event
 * database (batch sizes, model names) in `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`, reads
 * `/etc/machine-id`, and would try HTTPS uploads where the network allows. An encryption tool must not
 * do that. `ORT_DISABLE_TELEMETRY=1` stops all of it (test/telemetry.test.ts); a value the user set is
 * left as it is. Setting `process.env` in the main thread changes the real environment, which the
 * native library reads, so worker threads started after this inherit it.
 * @internal
 */
export function _disableOrtTelemetry(): void {
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
}

/**
 * Loads onnxruntime-node (an optional dependency) once.
 * @throws NqcNdeError `ERR_NDE_BACKEND_UNAVAILABLE` when it is not installed or its binary does not load
 * @internal
 */
export function _loadOrt(): Promise<Ort> {
  _disableOrtTelemetry();
  ortPromise ??= import('onnxruntime-node').catch((err: unknown) => {
    ortPromise = undefined;
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'onnxruntime-node is not available', { cause: err });
  });
  return ortPromise;
}

/** Absolute path of the shipped model (works from src/ and dist/, both two levels below the package). @internal */
export const _MODEL_PATH = fileURLToPath(new URL(`../../model/${NDE_MODEL_FILE}`, import.meta.url));

/** Absolute path of the worker script. @internal */
export const _WORKER_PATH = fileURLToPath(new URL('../../worker/onnx-worker.mjs', import.meta.url));

/**
 * Reads the model and checks it is the pinned NDE_MODEL_ID.
 * @throws NqcNdeError `ERR_NDE_MODEL_MISMATCH` or `ERR_NDE_BACKEND_UNAVAILABLE` (file missing)
 * @internal
 */
export async function _loadModel(path: string = _MODEL_PATH): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', `cannot read the NDE model at ${path}`, { cause: err });
  }
  const id = bytesToHex(sha256(bytes));
  if (id !== NDE_MODEL_ID_HEX) {
    throw new NqcNdeError('ERR_NDE_MODEL_MISMATCH', `model file sha256 ${id} is not NDE_MODEL_ID ${NDE_MODEL_ID_HEX}`);
  }
  return bytes;
}
