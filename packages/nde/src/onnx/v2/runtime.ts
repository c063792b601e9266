import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NqcNdeError } from '../../errors.js';
import { NDE_MODELS } from '../../versions.js';

/** Absolute path of the shipped v2 model (works from src/ and dist/, both three levels below the package). @internal */
export const _MODEL_V2_PATH = fileURLToPath(new URL(`../../../model/${NDE_MODELS[2].file}`, import.meta.url));

/**
 * Reads the v2 model and checks it is the pinned v2 model id (`NDE_MODELS[2].idHex`).
 * @throws NqcNdeError `ERR_NDE_MODEL_MISMATCH` or `ERR_NDE_BACKEND_UNAVAILABLE` (file missing)
 * @internal
 */
export async function _loadModelV2(path: string = _MODEL_V2_PATH): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', `cannot read the NDE v2 model at ${path}`, { cause: err });
  }
  const id = bytesToHex(sha256(bytes));
  const want = NDE_MODELS[2].idHex;
  if (id !== want) {
    throw new NqcNdeError('ERR_NDE_MODEL_MISMATCH', `model file sha256 ${id} is not the NDE v2 model id ${want}`);
  }
  return bytes;
}
