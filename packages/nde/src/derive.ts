/**
 * Key schedule of NDE v1: the shared HKDF-SHA-256 construction of `key-schedule.ts` with the
 * `nqc/v1/nde/...` labels and v1's tensor sizes.
 *
 *   w1 = param("nqc/v1/nde/w1", 128*128)   uint8, row-major [input k][output j]
 *   z1 = param("nqc/v1/nde/z1", 128)       uint8, per-output zero point (acts as a bias)
 *   w2, z2 likewise with labels .../w2, .../z2
 *   iv(index) = HKDF-Expand(prk, utf8("nqc/v1/nde/iv") || u64be(index), 128)
 */
import { NDE_BLOCK_SIZE as N, NDE_LABELS } from './constants.js';
import { _deriveKeyTensors, _OneKeyCache, _startStateDeriver, _wipeKeyTensors, type _KeySchedule } from './key-schedule.js';

/** The key-derived tensors of one (key, salt) pair. Secret: wipe with {@link _wipeParams}. */
export interface NdeParams {
  /** HKDF pseudo-random key; chunk IVs are expanded from it */
  readonly prk: Uint8Array;
  /** layer 1 weights, uint8 [128][128] row-major (input-major) */
  readonly w1: Uint8Array;
  /** layer 1 per-output zero points (bias) */
  readonly z1: Uint8Array;
  /** layer 2 weights */
  readonly w2: Uint8Array;
  /** layer 2 zero points */
  readonly z2: Uint8Array;
}

/** The v1 labels and tensor sizes. @internal */
export const _V1_KEY_SCHEDULE: _KeySchedule = {
  labels: NDE_LABELS,
  sizes: { w1: N * N, z1: N, w2: N * N, z2: N, iv: N },
};

/**
 * Derives the weights and zero points of (key, salt). Inputs must be validated by the caller.
 * @internal
 */
export function _deriveParams(key: Uint8Array, salt: Uint8Array): NdeParams {
  return _deriveKeyTensors(_V1_KEY_SCHEDULE, key, salt);
}

/**
 * Writes the starting state of chunk `index` into `out` (128 bytes).
 * @internal
 */
export const _deriveIv: (prk: Uint8Array, index: number, out: Uint8Array, offset?: number) => void =
  _startStateDeriver(_V1_KEY_SCHEDULE);

/** Overwrites derived secrets with zeros. @internal */
export function _wipeParams(p: NdeParams): void {
  _wipeKeyTensors(p);
}

/**
 * A one-entry cache of derived v1 parameters (see {@link _OneKeyCache}).
 * @internal
 */
export class _ParamCache extends _OneKeyCache<NdeParams> {
  constructor() {
    super(_deriveParams);
  }
}
