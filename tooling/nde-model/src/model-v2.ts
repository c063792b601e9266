/**
 * The NDE v2 ONNX model (packages/nde/docs/nde-v2-spec.md, which this graph implements node for node):
 * one `Scan` over the 512-byte steps of a batch of chunks, returning the output bytes AND the Scan's
 * final state, so a long chunk can run in segments that each start where the last one ended.
 *
 * Per step, for every chunk of the batch (s: the 64-byte state, d: the step's 512 input bytes):
 *
 *     a  = sigma(MatMulInteger(s, w1, b_zero_point = z1))          [batch, 64]
 *     y  = sigma(MatMulInteger(a, w2, b_zero_point = z2))          [batch, 576]
 *     ks, u = Split(y, [512, 64])
 *     o  = d + ks (encrypt) | d - ks (decrypt)                      uint8 Add/Sub wrap mod 256
 *     c  = o (encrypt) | d (decrypt)                                the ciphertext (feedback)
 *     s' = u + c[0:64] + c[64:128] + ... + c[448:512]               uint8 Add wraps mod 256
 *
 * sigma is v1's: Cast int32 -> uint32 (same bits), Mul by the odd constant (wraps mod 2^32),
 * BitShift RIGHT 24 (uint32), Cast to uint8. Every op is integer and exact on onnxruntime-node 1.30
 * (DESIGN.md section 3): MatMulInteger uint8 x uint8 only, no ReduceSum (the eight 64-byte slices of
 * the ciphertext are summed with uint8 Adds), shapes int64, opset 18.
 */
import { pushDenseLayer, scanChain, u32le } from './layers.js';
import { DataType, graph, model, node, tensor, valueInfo } from './onnx.js';
import type { ProtoWriter } from './protobuf.js';

/** Shape parameters of the v2 model (the spec's sizes; see nde-v2-spec.md "Sizes"). */
export interface NdeV2ModelShape {
  /** `S`: state bytes carried from step to step (= `U`, the carry outputs) */
  state: number;
  /** `H`: hidden layer width */
  hidden: number;
  /** `K`: keystream bytes per step; must be a multiple of `state` */
  step: number;
  /** odd 32-bit multiplier of the mixing nonlinearity */
  mix: number;
  /** right shift that keeps the top byte of the mixed 32-bit word */
  shift: number;
  /** model version string written in the producer version and names */
  version: string;
}

function i64le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

/** Builds the v2 model bytes. Pure function of `shape`: same input, same bytes. */
export function buildNdeV2Model(shape: NdeV2ModelShape): Uint8Array {
  const { state: S, hidden: H, step: K } = shape;
  if (K % S !== 0) throw new RangeError(`step (${K}) must be a multiple of state (${S})`);
  const O = K + S;
  const folds = K / S;
  const U8 = DataType.UINT8;

  const stepBody = (decrypt: boolean): ProtoWriter => {
    const nodes: ProtoWriter[] = [];
    // A dense layer (layers.ts): uint8 x uint8 MatMulInteger, int32 accumulators (|acc| < 2^22), the
    // key-derived per-column zero point as bias; then sigma.
    const layer = (input: string, w: string, z: string, out: string): void => pushDenseLayer(nodes, input, w, z, out);
    layer('s', 'w1', 'z1', 'a');
    layer('a', 'w2', 'z2', 'y');
    nodes.push(
      node('Split', ['y', 'split_ks_u'], ['ks', 'u'], 'keystream_and_carry', { axis: { kind: 'int', value: 1 } }),
      node(decrypt ? 'Sub' : 'Add', ['d', 'ks'], ['o'], decrypt ? 'subtract_keystream' : 'add_keystream'),
    );
    // Ciphertext feedback: the ciphertext is the output when encrypting, the scan input when decrypting.
    const c = decrypt ? 'd' : 'o';
    const parts = Array.from({ length: folds }, (_, m) => `c${m}`);
    nodes.push(node('Split', [c], parts, 'ciphertext_slices', { axis: { kind: 'int', value: 1 }, num_outputs: { kind: 'int', value: folds } }));
    let acc = 'u';
    parts.forEach((p, m) => {
      const out = m === folds - 1 ? 's_next' : `fold${m}`;
      nodes.push(node('Add', [acc, p], [out], `next_state_${m}`));
      acc = out;
    });
    return graph({
      name: decrypt ? 'nde_v2_decrypt_step' : 'nde_v2_encrypt_step',
      nodes,
      inputs: [valueInfo('s', U8, ['batch', S]), valueInfo('d', U8, ['batch', K])],
      outputs: [valueInfo('s_next', U8, ['batch', S]), valueInfo('o', U8, ['batch', K])],
    });
  };

  // One Scan over the steps (axis 1 of [batch, steps, K]) per direction, chosen by an If; both
  // branches return (out, final state).
  const chain = (decrypt: boolean): ProtoWriter => {
    const tag = decrypt ? 'decrypt' : 'encrypt';
    return scanChain({
      name: `nde_v2_${tag}`,
      tag,
      finalState: `${tag}_state`,
      body: stepBody(decrypt),
      outputs: [valueInfo(`${tag}_out`, U8, ['batch', 'steps', K]), valueInfo(`${tag}_state`, U8, ['batch', S])],
    });
  };

  const main = graph({
    name: `nqc_nde_${shape.version}`,
    nodes: [
      node('If', ['decrypt'], ['out', 'state'], 'direction', {
        then_branch: { kind: 'graph', value: chain(true) },
        else_branch: { kind: 'graph', value: chain(false) },
      }),
    ],
    initializers: [
      tensor('mix', DataType.UINT32, [], u32le(shape.mix)),
      tensor('shift', DataType.UINT32, [], u32le(shape.shift)),
      tensor('split_ks_u', DataType.INT64, [2], i64le([K, S])),
    ],
    inputs: [
      valueInfo('data', U8, ['batch', 'steps', K]),
      valueInfo('iv', U8, ['batch', S]),
      valueInfo('w1', U8, [S, H]),
      valueInfo('z1', U8, [H]),
      valueInfo('w2', U8, [H, O]),
      valueInfo('z2', U8, [O]),
      valueInfo('decrypt', DataType.BOOL, []),
    ],
    outputs: [valueInfo('out', U8, ['batch', 'steps', K]), valueInfo('state', U8, ['batch', S])],
  });
  return model({
    irVersion: 9,
    opset: 18,
    producerName: '@nqc/nde-model',
    producerVersion: shape.version,
    docString: `nqc NDE ${shape.version}: integer-only keystream network (512-byte steps, final state output). Weights are inputs; this file holds no secret.`,
    graph: main,
  });
}
