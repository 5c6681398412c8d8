// The ONNX messages the exporter writes, with their field numbers from onnx/onnx.proto
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto).
// see: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
import { ProtoWriter } from './protobuf.ts';

/** TensorProto.DataType */
const FLOAT = 1;

/** AttributeProto.AttributeType */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export type AttributeValue = number | number[] | { float: number };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A float tensor graph input or output; a string dimension is symbolic (the batch). */
export interface ValueInfo {
  name: string;
  dims: (number | string)[];
}

export interface Model {
  irVersion: number;
  opset: number;
  producerName: string;
  graphName: string;
  docString?: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  metadata?: Record<string, string>;
}

function attribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`onnx: attribute ${name}: ints only; use { float } for floats`);
    return w.int(3, value).int(20, ATTR_INT);
  }
  if (Array.isArray(value)) return w.ints(8, value).int(20, ATTR_INTS);
  return w.float(2, value.float).int(20, ATTR_FLOAT);
}

function node(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v));
  return w;
}

function tensor(t: Initializer): ProtoWriter {
  const w = new ProtoWriter().ints(1, t.dims);
  w.int(2, FLOAT);
  w.string(8, t.name);
  // raw_data is little-endian, as every host that runs wasm is.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'string') dim.string(2, d);
    else dim.int(1, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** Serialises a model to the ONNX protobuf bytes. */
export function encodeModel(m: Model): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, node(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensor(t));
  for (const i of m.inputs) graph.message(11, valueInfo(i));
  for (const o of m.outputs) graph.message(12, valueInfo(o));

  const model = new ProtoWriter().int(1, m.irVersion).string(2, m.producerName);
  if (m.docString) model.string(6, m.docString);
  model.message(7, graph);
  model.message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return model.finish().slice();
}
