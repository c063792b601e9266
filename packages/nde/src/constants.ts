/**
 * Fixed parameters of NDE v1. Changing any of them changes every ciphertext: bump NDE_VERSION, the
 * HKDF labels and the model file together.
 */

/**
 * Version of the construction the v1 constants of this file describe (the `v1` in the HKDF labels
 * and the model name). Kept for compatibility: see `NdeVersion` and `NDE_DEFAULT_VERSION` for versions.
 */
export const NDE_VERSION = 1;

/** NDE v1 bytes per block; also the width of both v1 dense layers (v2: `NDE_V2_BLOCK_SIZE`). */
export const NDE_BLOCK_SIZE = 128;

/** Key length in bytes. */
export const NDE_KEY_LENGTH = 32;

/** Longest salt accepted, in bytes (HKDF takes any length; the bound keeps input checks strict). */
export const NDE_MAX_SALT_LENGTH = 1024;

/** Largest chunk index (the container uses up to 2^32 chunks; JS safe integers go further). */
export const NDE_MAX_CHUNK_INDEX = Number.MAX_SAFE_INTEGER;

/**
 * Odd 32-bit multiplier of the mixing nonlinearity: `sigma(acc) = ((acc mod 2^32) * NDE_MIX mod 2^32) >> 24`.
 * It is floor(2^32 / golden ratio) (Knuth's multiplicative hashing constant): fixed, public, no secret.
 */
export const NDE_MIX = 0x9e3779b1;

/** Right shift of the mixing nonlinearity (keeps the top byte of the 32-bit product). */
export const NDE_MIX_SHIFT = 24;

/** The NDE v1 HKDF-SHA-256 `info` labels (domain separation; v2: `NDE_V2_LABELS`). */
export const NDE_LABELS = {
  w1: 'nqc/v1/nde/w1',
  z1: 'nqc/v1/nde/z1',
  w2: 'nqc/v1/nde/w2',
  z2: 'nqc/v1/nde/z2',
  iv: 'nqc/v1/nde/iv',
} as const;

/** File name of the NDE v1 model, under the package's `model/` folder (every version: `NDE_MODELS`). */
export const NDE_MODEL_FILE = 'nde-v1.onnx';

/**
 * SHA-256 of the NDE v1 model file `model/nde-v1.onnx`, hex (every version: `NDE_MODELS[v].idHex`). The envelope header names the NDE layer
 * by this value; the ONNX backend refuses a model file whose hash differs.
 */
export const NDE_MODEL_ID_HEX = '07c6c981fb907b915a238919e1aa8690e50676345b41308ca3099474cbaa877a';

/** The NDE v1 model id ({@link NDE_MODEL_ID_HEX}) as 32 bytes, a fresh copy each call (any version: `ndeModelIdOf`). */
export function ndeModelId(): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(NDE_MODEL_ID_HEX.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The NDE **v1** model id as 32 bytes (typed arrays cannot be frozen: do not mutate; any version: `ndeModelIdOf`). */
export const NDE_MODEL_ID: Uint8Array = ndeModelId();
