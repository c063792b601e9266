/**
 * NDE construction versions and the model id that names each one in an envelope header.
 *
 * The envelope names its NDE layer by a 32-byte model id (the SHA-256 of the version's ONNX model
 * file); {@link ndeVersionOf} maps an id read from a header back to the construction to run.
 */
import { _checkVersion } from './checks.js';
import { NDE_MODEL_ID_HEX } from './constants.js';

/** An NDE construction version: 1 (128-byte blocks, 256 multiply-adds per byte) or 2 (docs/nde-v2-spec.md). */
export type NdeVersion = 1 | 2;

/** The version new envelopes use. Old versions stay decryptable: an envelope names its version. */
export const NDE_DEFAULT_VERSION: NdeVersion = 2;

/** What identifies one NDE version: its model file and the id an envelope header carries. */
export interface NdeModelInfo {
  /** the construction version */
  readonly version: NdeVersion;
  /** file name of the version's ONNX model, under the package's `model/` folder */
  readonly file: string;
  /** SHA-256 of that model file, 64 lowercase hex characters: the id written in envelope headers */
  readonly idHex: string;
  /** keystream bytes per step of the recurrence (v1: 128, v2: 512) */
  readonly blockSize: number;
}

/**
 * The model of every NDE version. Frozen.
 *
 * @example
 * ```ts
 * import { NDE_MODELS } from '@nqc/nde';
 * console.log(NDE_MODELS[2].blockSize); // 512
 * ```
 */
export const NDE_MODELS: Readonly<Record<NdeVersion, NdeModelInfo>> = Object.freeze({
  1: Object.freeze({ version: 1, file: 'nde-v1.onnx', idHex: NDE_MODEL_ID_HEX, blockSize: 128 }),
  2: Object.freeze({
    version: 2,
    file: 'nde-v2.onnx',
    // Filled in by the ONNX engineer when model/nde-v2.onnx is generated: SHA-256 of the file.
    idHex: '7fbcc41f747b058781f879a765a3d615f9c2aa80029b13373a7d7328c6c308c7',
    blockSize: 512,
  }),
} as const);

/**
 * The model id of `version` as 32 bytes, a fresh copy each call (callers may keep or alter it).
 * @param version - 1 or 2
 * @throws NqcNdeError `ERR_NDE_INVALID_INPUT` for anything but 1 or 2
 * @example
 * ```ts
 * import { ndeModelIdOf } from '@nqc/nde';
 * ndeModelIdOf(1).length; // 32
 * ```
 */
export function ndeModelIdOf(version: NdeVersion): Uint8Array {
  const hex = NDE_MODELS[_checkVersion(version)].idHex;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The NDE version a model id names, or `undefined` for an id no version of this package knows (the
 * caller should refuse the envelope). Compares all 32 bytes; anything that is not a 32-byte
 * `Uint8Array` gives `undefined`.
 * @param id - a model id read from an envelope header
 * @example
 * ```ts
 * import { NDE_MODEL_ID, ndeVersionOf } from '@nqc/nde';
 * ndeVersionOf(NDE_MODEL_ID); // 1
 * ```
 */
export function ndeVersionOf(id: Uint8Array): NdeVersion | undefined {
  if (!(id instanceof Uint8Array) || id.length !== 32) return undefined;
  let hex = '';
  for (let i = 0; i < 32; i++) hex += id[i]!.toString(16).padStart(2, '0');
  for (const v of [1, 2] as const) if (NDE_MODELS[v].idHex === hex) return v;
  return undefined;
}
