/**
 * Builders for the handful of ONNX protobuf messages the NDE model needs (onnx/onnx.proto3):
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto and TypeProto.
 * Field numbers are those of onnx.proto; only the fields used here are written.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values used by the model. */
export const DataType = {
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  UINT32: 12,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A tensor dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

/** An attribute value accepted by {@link node}. */
export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'graph'; value: ProtoWriter };

/** ValueInfoProto for a tensor input/output. */
export function valueInfo(name: string, elemType: DataType, dims: readonly Dim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, name).message(2, type);
}

/** TensorProto holding raw little-endian data. */
export function tensor(name: string, elemType: DataType, dims: readonly number[], raw: Uint8Array): ProtoWriter {
  const t = new ProtoWriter();
  if (dims.length > 0) t.packedInts(1, dims);
  return t.int(2, elemType).string(8, name).bytes(9, raw);
}

/** NodeProto. Empty strings in `inputs` mark omitted optional inputs. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attributes: Readonly<Record<string, AttributeValue>> = {},
): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name).string(4, opType);
  for (const key of Object.keys(attributes).sort()) {
    const a = attributes[key]!;
    const attr = new ProtoWriter().string(1, key);
    switch (a.kind) {
      case 'int':
        attr.int(3, a.value).int(20, 2);
        break;
      case 'ints':
        attr.packedInts(8, a.value).int(20, 7);
        break;
      case 'string':
        attr.string(4, a.value).int(20, 3);
        break;
      case 'graph':
        attr.message(6, a.value).int(20, 5);
        break;
    }
    n.message(5, attr);
  }
  return n;
}

/** GraphProto. */
export function graph(parts: {
  name: string;
  nodes: readonly ProtoWriter[];
  initializers?: readonly ProtoWriter[];
  inputs: readonly ProtoWriter[];
  outputs: readonly ProtoWriter[];
  docString?: string;
}): ProtoWriter {
  const g = new ProtoWriter();
  for (const n of parts.nodes) g.message(1, n);
  g.string(2, parts.name);
  for (const t of parts.initializers ?? []) g.message(5, t);
  if (parts.docString !== undefined) g.string(10, parts.docString);
  for (const i of parts.inputs) g.message(11, i);
  for (const o of parts.outputs) g.message(12, o);
  return g;
}

/** ModelProto with a single default-domain opset import. */
export function model(parts: {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: ProtoWriter;
  docString?: string;
}): Uint8Array {
  const opset = new ProtoWriter().string(1, '').int(2, parts.opset);
  const m = new ProtoWriter()
    .int(1, parts.irVersion)
    .string(2, parts.producerName)
    .string(3, parts.producerVersion);
  if (parts.docString !== undefined) m.string(6, parts.docString);
  m.message(7, parts.graph).message(8, opset);
  return m.finish();
}
