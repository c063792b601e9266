/**
 * `@nqc/nde`: the neural dynamic encryption layer of nqc, browser-safe entry (reference backends, and
 * the WebAssembly SIMD backend of v2 in the calling thread).
 *
 * EXPERIMENTAL AND UNANALYSED. NDE is a keystream from a small integer neural network whose weights
 * come from the key; it does no authentication and must only ever run inside a standard AEAD (the
 * envelope container does this). The ONNX backend and worker pool are in `@nqc/nde/node`.
 *
 * @packageDocumentation
 */
export {
  NDE_BLOCK_SIZE,
  NDE_KEY_LENGTH,
  NDE_LABELS,
  NDE_MAX_CHUNK_INDEX,
  NDE_MAX_SALT_LENGTH,
  NDE_MIX,
  NDE_MIX_SHIFT,
  NDE_MODEL_FILE,
  NDE_MODEL_ID,
  NDE_MODEL_ID_HEX,
  NDE_VERSION,
  ndeModelId,
} from './constants.js';
export { NqcNdeError, type NqcNdeErrorCode } from './errors.js';
export {
  createReferenceNde,
  referenceBackend,
  referenceBackendV2,
  type CreateReferenceNdeOptions,
  type NdeReferenceBackend,
} from './reference.js';
export {
  createNdeTransform,
  NDE_DEFAULT_CHUNK_SIZE,
  NDE_MAX_CHUNK_SIZE,
  type NdeStreamOptions,
} from './stream.js';
export type { NdeBackend, NdeChunk } from './types.js';
export { NDE_V2_BLOCK_SIZE, NDE_V2_HIDDEN, NDE_V2_LABELS, NDE_V2_OUTPUTS, NDE_V2_STATE } from './v2/constants.js';
export { NDE_DEFAULT_VERSION, NDE_MODELS, ndeModelIdOf, ndeVersionOf, type NdeModelInfo, type NdeVersion } from './versions.js';
export { createWasmNde, type NdeWasmBackend } from './wasm/backend.js';
