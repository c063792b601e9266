/**
 * Key schedule of NDE v2 (docs/nde-v2-spec.md, "Key schedule"): v1's HKDF-SHA-256 construction
 * (shared, in `../key-schedule.ts`) with the `nqc/v2/nde/...` labels and v2's tensor sizes.
 */
import { _deriveKeyTensors, _OneKeyCache, _startStateDeriver, _wipeKeyTensors, type _KeySchedule } from '../key-schedule.js';
import { NDE_V2_HIDDEN as H, NDE_V2_LABELS, NDE_V2_OUTPUTS as O, NDE_V2_STATE as S } from './constants.js';

/** The key-derived tensors of one (key, salt) pair under v2. Secret: wipe with {@link _wipeParamsV2}. */
export interface NdeParamsV2 {
  /** HKDF pseudo-random key; chunk start states are expanded from it */
  readonly prk: Uint8Array;
  /** layer 1 weights, uint8 [64 inputs][64 outputs] row-major: `w1[k*64 + j]` */
  readonly w1: Uint8Array;
  /** layer 1 per-output zero points (64) */
  readonly z1: Uint8Array;
  /** layer 2 weights, uint8 [64 inputs][576 outputs] row-major: `w2[k*576 + j]` */
  readonly w2: Uint8Array;
  /** layer 2 per-output zero points (576) */
  readonly z2: Uint8Array;
}

/** The v2 labels and tensor sizes. @internal */
export const _V2_KEY_SCHEDULE: _KeySchedule = {
  labels: NDE_V2_LABELS,
  sizes: { w1: S * H, z1: H, w2: H * O, z2: O, iv: S },
};

/**
 * Derives the v2 weights and zero points of (key, salt). Inputs must be validated by the caller.
 * @internal
 */
export function _deriveParamsV2(key: Uint8Array, salt: Uint8Array): NdeParamsV2 {
  return _deriveKeyTensors(_V2_KEY_SCHEDULE, key, salt);
}

/**
 * Writes the start state of chunk `index` (64 bytes) into `out` at `offset`:
 * `HKDF-Expand(prk, "nqc/v2/nde/iv" || u64be(index), 64)`.
 * @internal
 */
export const _deriveIvV2: (prk: Uint8Array, index: number, out: Uint8Array, offset?: number) => void =
  _startStateDeriver(_V2_KEY_SCHEDULE);

/** Overwrites derived v2 secrets with zeros. @internal */
export function _wipeParamsV2(p: NdeParamsV2): void {
  _wipeKeyTensors(p);
}

/**
 * A one-entry cache of derived v2 parameters (see {@link _OneKeyCache}).
 * @internal
 */
export class _ParamCacheV2 extends _OneKeyCache<NdeParamsV2> {
  constructor() {
    super(_deriveParamsV2);
  }
}
