/**
 * `@nqc/nde-model`: writes `packages/nde/model/nde-v1.onnx` from TypeScript.
 * @packageDocumentation
 */
import { NDE_BLOCK_SIZE, NDE_MIX, NDE_MIX_SHIFT, NDE_VERSION } from '@nqc/nde';
import { buildNdeModel } from './model.js';

export { buildNdeModel, type NdeModelShape } from './model.js';
export { ProtoWriter } from './protobuf.js';

/** The bytes of the shipped model, built from `@nqc/nde`'s constants. */
export function buildShippedModel(): Uint8Array {
  return buildNdeModel({ blockSize: NDE_BLOCK_SIZE, mix: NDE_MIX, shift: NDE_MIX_SHIFT, version: `v${NDE_VERSION}` });
}
