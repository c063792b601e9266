/**
 * The NDE v1 ONNX model: one `Scan` over the blocks of a batch of chunks (see packages/nde/README.md,
 * "The construction", which this graph implements node for node).
 */
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

function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

/** Builds the model bytes. Pure function of `shape`: same input, same bytes. */
export function buildNdeModel(shape: NdeModelShape): Uint8Array {
  const n = shape.blockSize;
  const U8 = DataType.UINT8;

  // The Scan body for one direction: one 128-byte block of every chunk in the batch.
  const blockBody = (decrypt: boolean): ProtoWriter => {
    const nodes: ProtoWriter[] = [];
    // One dense layer: uint8 x uint8 MatMulInteger (int32 accumulators; the key-derived per-column
    // b_zero_point acts as the bias), then the mixing nonlinearity: reinterpret as uint32, multiply
    // by an odd constant mod 2^32, keep the top byte.
    const layer = (input: string, w: string, z: string, out: string): void => {
      nodes.push(
        node('MatMulInteger', [input, w, '', z], [`${out}_acc`], `${out}_matmul`),
        node('Cast', [`${out}_acc`], [`${out}_u32`], `${out}_to_u32`, { to: { kind: 'int', value: DataType.UINT32 } }),
        node('Mul', [`${out}_u32`, 'mix'], [`${out}_mul`], `${out}_mix`),
        node('BitShift', [`${out}_mul`, 'shift'], [`${out}_top`], `${out}_shift`, {
          direction: { kind: 'string', value: 'RIGHT' },
        }),
        node('Cast', [`${out}_top`], [out], `${out}_to_u8`, { to: { kind: 'int', value: U8 } }),
      );
    };
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
    return graph({
      name: `nde_${tag}`,
      nodes: [
        node('Scan', ['iv', 'data'], [`${tag}_final_state`, `${tag}_out`], `${tag}_chain`, {
          body: { kind: 'graph', value: blockBody(decrypt) },
          num_scan_inputs: { kind: 'int', value: 1 },
          scan_input_axes: { kind: 'ints', value: [1] },
          scan_output_axes: { kind: 'ints', value: [1] },
        }),
      ],
      inputs: [],
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
