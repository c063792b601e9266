/**
 * The NDE v1 ONNX model: one `Scan` over the blocks of a batch of chunks (see packages/nde/README.md,
 * "The construction", which this graph implements node for node).
 */
import { pushDenseLayer, scanChain, u32le } from './layers.js';
import { DataType, graph, model, node, tensor, valueInfo } from './onnx.js';
import type { ProtoWriter } from './protobuf.js';

/** Shape parameters of the generated model. */
export interface NdeModelShape {
  /** bytes per block = network width */
  blockSize: number;
  /** odd 32-bit multiplier of the mixing step */
  mix: number;
  /** right shift that keeps the top byte of the mixed 32-bit word */
  shift: number;
  /** model version string written in the doc string */
  version: string;
}

/** Builds the model bytes. Pure function of `shape`: same input, same bytes. */
export function buildNdeModel(shape: NdeModelShape): Uint8Array {
  const n = shape.blockSize;
  const U8 = DataType.UINT8;

  // The Scan body for one direction: one 128-byte block of every chunk in the batch.
  const blockBody = (decrypt: boolean): ProtoWriter => {
    const nodes: ProtoWriter[] = [];
    // Two dense layers (layers.ts: MatMulInteger with the key-derived zero points as bias, then sigma).
    const layer = (input: string, w: string, z: string, out: string): void => pushDenseLayer(nodes, input, w, z, out);
    layer('h', 'w1', 'z1', 'a1');
    layer('a1', 'w2', 'z2', 'ks');
    // Bytes combine by addition mod 256 (uint8 Add/Sub wrap). The feedback is the ciphertext block:
    // the output when encrypting, the scan input when decrypting.
    nodes.push(
      node(decrypt ? 'Sub' : 'Add', ['d', 'ks'], ['o'], decrypt ? 'subtract_keystream' : 'add_keystream'),
      node('Add', ['a1', decrypt ? 'd' : 'o'], ['h_next'], 'next_state'),
    );
    return graph({
      name: decrypt ? 'nde_decrypt_block' : 'nde_encrypt_block',
      nodes,
      inputs: [valueInfo('h', U8, ['batch', n]), valueInfo('d', U8, ['batch', n])],
      outputs: [valueInfo('h_next', U8, ['batch', n]), valueInfo('o', U8, ['batch', n])],
    });
  };

  // One Scan over the blocks (axis 1 of [batch, blocks, n]) per direction, chosen by an If.
  const chain = (decrypt: boolean): ProtoWriter => {
    const tag = decrypt ? 'decrypt' : 'encrypt';
    return scanChain({
      name: `nde_${tag}`,
      tag,
      finalState: `${tag}_final_state`,
      body: blockBody(decrypt),
      outputs: [valueInfo(`${tag}_out`, U8, ['batch', 'blocks', n])],
    });
  };

  const main = graph({
    name: `nqc_nde_${shape.version}`,
    nodes: [
      node('If', ['decrypt'], ['out'], 'direction', {
        then_branch: { kind: 'graph', value: chain(true) },
        else_branch: { kind: 'graph', value: chain(false) },
      }),
    ],
    initializers: [
      tensor('mix', DataType.UINT32, [], u32le(shape.mix)),
      tensor('shift', DataType.UINT32, [], u32le(shape.shift)),
    ],
    inputs: [
      valueInfo('data', U8, ['batch', 'blocks', n]),
      valueInfo('iv', U8, ['batch', n]),
      valueInfo('w1', U8, [n, n]),
      valueInfo('z1', U8, [n]),
      valueInfo('w2', U8, [n, n]),
      valueInfo('z2', U8, [n]),
      valueInfo('decrypt', DataType.BOOL, []),
    ],
    outputs: [valueInfo('out', U8, ['batch', 'blocks', n])],
  });
  return model({
    irVersion: 9,
    opset: 18,
    producerName: '@nqc/nde-model',
    producerVersion: shape.version,
    docString: `nqc NDE ${shape.version}: integer-only keystream network. Weights are inputs; this file holds no secret.`,
    graph: main,
  });
}
