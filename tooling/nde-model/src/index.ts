/**
 * `@nqc/nde-model`: writes `packages/nde/model/nde-v1.onnx` and `nde-v2.onnx` from TypeScript.
 * @packageDocumentation
 */
import { NDE_BLOCK_SIZE, NDE_MIX, NDE_MIX_SHIFT, NDE_VERSION } from '@nqc/nde';
import { buildNdeModel } from './model.js';
import { buildNdeV2Model, type NdeV2ModelShape } from './model-v2.js';

export { buildNdeModel, type NdeModelShape } from './model.js';
export { buildNdeV2Model, type NdeV2ModelShape } from './model-v2.js';
export { ProtoWriter } from './protobuf.js';

/** The bytes of the shipped v1 model, built from `@nqc/nde`'s constants. */
export function buildShippedModel(): Uint8Array {
  return buildNdeModel({ blockSize: NDE_BLOCK_SIZE, mix: NDE_MIX, shift: NDE_MIX_SHIFT, version: `v${NDE_VERSION}` });
}

/** File name of the shipped v2 model under packages/nde/model/. */
export const NDE_V2_MODEL_FILE = 'nde-v2.onnx';

/** The v2 sizes of packages/nde/docs/nde-v2-spec.md ("Sizes"): S = 64, H = 64, K = 512; sigma as v1. */
export const NDE_V2_SHAPE: Readonly<NdeV2ModelShape> = Object.freeze({
  state: 64,
  hidden: 64,
  step: 512,
  mix: NDE_MIX,
  shift: NDE_MIX_SHIFT,
  version: 'v2',
});

/** The bytes of the shipped v2 model (`nde-v2.onnx`). */
export function buildShippedModelV2(): Uint8Array {
  return buildNdeV2Model(NDE_V2_SHAPE);
}
