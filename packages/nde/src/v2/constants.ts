/**
 * Fixed parameters of NDE v2 (docs/nde-v2-spec.md). Changing any of them changes every v2
 * ciphertext: that is a new version, with new labels and a new model file.
 */

/** State bytes carried from step to step (`S`). */
export const NDE_V2_STATE = 64;

/** Hidden layer width (`H`). */
export const NDE_V2_HIDDEN = 64;

/** Keystream bytes per step (`K`, the v2 block). */
export const NDE_V2_BLOCK_SIZE = 512;

/** Output layer width (`O = K + S`: 512 keystream bytes and 64 carry bytes). */
export const NDE_V2_OUTPUTS = NDE_V2_BLOCK_SIZE + NDE_V2_STATE;

/** HKDF-SHA-256 `info` label prefixes of NDE v2 (domain separation from v1's `nqc/v1/nde/...`). */
export const NDE_V2_LABELS = {
  w1: 'nqc/v2/nde/w1',
  z1: 'nqc/v2/nde/z1',
  w2: 'nqc/v2/nde/w2',
  z2: 'nqc/v2/nde/z2',
  iv: 'nqc/v2/nde/iv',
} as const;
