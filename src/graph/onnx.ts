/** Serialises a Graph into ONNX ModelProto bytes with the `onnx-proto` messages. */
import { onnx } from 'onnx-proto';
import { AttributeValue, Graph, ONNX_TYPE, Tensor } from './graph';

const OPSET = 17;

function valueInfo(t: Tensor): onnx.IValueInfoProto {
  return {
    name: t.name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[t.dtype],
        shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if (typeof value === 'object') return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.INT, i: value };
}

function initializer(init: Graph['initializers'][number]): onnx.ITensorProto {
  const { tensor, data } = init;
  const base = { name: tensor.name, dataType: ONNX_TYPE[tensor.dtype], dims: tensor.shape as number[] };
  if (data instanceof Uint8Array) return { ...base, rawData: data };
  return {
    ...base,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: data.location },
      { key: 'offset', value: String(data.offset) },
      { key: 'length', value: String(data.length) },
    ],
  };
}

export function toOnnxBytes(g: Graph, name: string): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'backward-lens',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: g.initializers.map(initializer),
      node: g.nodes.map((node, i) => ({
        name: `n${i}_${node.opType}`,
        opType: node.opType,
        input: node.inputs.map((t) => t.name),
        output: node.outputs.map((t) => t.name),
        attribute: Object.entries(node.attributes).map(([key, value]) => attribute(key, value)),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
