/**
 * `@nqc/she`: selective homomorphic encryption for nqc. Numeric fields encrypted with Microsoft SEAL
 * (node-seal 6.0.3, BFV and CKKS) that an untrusted server can count, sum, average, weight, multiply
 * and square with an evaluation bundle, while only the key owner can decrypt.
 * @module
 */
export { NqcSheError, type SheErrorCode } from './errors.js';
export { PRESETS, type HePreset, type HePresetName, type HeScheme } from './params.js';
export { defineSchema, type FieldSpec, type FieldType, type HeSchema } from './schema.js';
export {
  decodeCiphertext,
  encodeCiphertext,
  heBindingBytes,
  MAX_SEAL_CIPHERTEXT_BYTES,
  MAX_VALUES,
  type HeCiphertext,
  type HeLayout,
  type HeOp,
  type HeValueInfo,
} from './format.js';
export { EvaluationBundle, HeKeySet, MAX_GALOIS_STEPS, type BundleOptions } from './keys.js';
export { HeClient, type HeMean } from './client.js';
export { HeEvaluator, NOISE_MODEL } from './evaluator.js';
export { isSealPoisoned } from './seal.js';
