/**
 * Graph pieces shared by the v1 and v2 models (model.ts, model-v2.ts): the dense layer with its
 * mixing nonlinearity, the per-direction `Scan` over a chunk's steps, and little-endian constants.
 * Both models emit them node for node in the same order, so the files stay byte-identical.
 */
import { DataType, graph, node } from './onnx.js';
import type { ProtoWriter } from './protobuf.js';

/** `value` as 4 little-endian bytes (a uint32 tensor's raw data). */
export function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

/**
 * Appends one dense layer to `nodes`: uint8 x uint8 MatMulInteger (int32 accumulators; the
 * key-derived per-column b_zero_point acts as the bias), then sigma: reinterpret as uint32, multiply
 * by the odd constant `mix` mod 2^32, shift right by `shift` (keeps the top byte), cast to uint8.
 */
export function pushDenseLayer(nodes: ProtoWriter[], input: string, w: string, z: string, out: string): void {
  nodes.push(
    node('MatMulInteger', [input, w, '', z], [`${out}_acc`], `${out}_matmul`),
    node('Cast', [`${out}_acc`], [`${out}_u32`], `${out}_to_u32`, { to: { kind: 'int', value: DataType.UINT32 } }),
    node('Mul', [`${out}_u32`, 'mix'], [`${out}_mul`], `${out}_mix`),
    node('BitShift', [`${out}_mul`, 'shift'], [`${out}_top`], `${out}_shift`, {
      direction: { kind: 'string', value: 'RIGHT' },
    }),
    node('Cast', [`${out}_top`], [out], `${out}_to_u8`, { to: { kind: 'int', value: DataType.UINT8 } }),
  );
}

/** What one direction's Scan graph is made of. */
export interface ScanChain {
  /** the graph's name */
  name: string;
  /** `encrypt` or `decrypt`: prefixes the Scan's node and output names */
  tag: string;
  /** the name of the Scan's final-state output */
  finalState: string;
  /** the Scan body (one step of every chunk in the batch) */
  body: ProtoWriter;
  /** the graph outputs (the If's branch outputs) */
  outputs: ProtoWriter[];
}

/** One Scan over axis 1 of `data` (`[batch, steps, bytes]`), starting from `iv`. */
export function scanChain(c: ScanChain): ProtoWriter {
  return graph({
    name: c.name,
    nodes: [
      node('Scan', ['iv', 'data'], [c.finalState, `${c.tag}_out`], `${c.tag}_chain`, {
        body: { kind: 'graph', value: c.body },
        num_scan_inputs: { kind: 'int', value: 1 },
        scan_input_axes: { kind: 'ints', value: [1] },
        scan_output_axes: { kind: 'ints', value: [1] },
      }),
    ],
    inputs: [],
    outputs: c.outputs,
  });
}
