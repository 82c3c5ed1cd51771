/**
 * A small typed graph builder over ONNX operators. Tensors carry a dtype and a shape whose
 * dims are numbers or symbolic names ('T' for the prompt length), so autodiff can tell which
 * axes were broadcast without running anything, while the emitted ONNX graph stays dynamic in T.
 */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'bool';
export type Dim = number | string;
export type Shape = Dim[];

/** ONNX TensorProto.DataType codes. */
export const ONNX_TYPE: Record<DType, number> = {
  float32: 1,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export type AttributeValue = number | number[] | string | { float: number };

/** A differentiation rule: given the output gradients, the gradients of the inputs (undefined = none). */
export type VjpRule = (
  g: Graph,
  inputs: Tensor[],
  outputs: Tensor[],
  gradOutputs: (Tensor | undefined)[],
  attributes: Record<string, AttributeValue>,
) => (Tensor | undefined)[];

export interface GraphNode {
  opType: string;
  inputs: Tensor[];
  outputs: Tensor[];
  attributes: Record<string, AttributeValue>;
  /** Absent for operators that are never differentiated (shape arithmetic, masks, top-k). */
  vjp?: VjpRule;
  /** What `vjp` differentiates with respect to, when not `inputs` (the inputs of a composite). */
  gradInputs?: Tensor[];
}

export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
}

export interface Initializer {
  tensor: Tensor;
  /** Inline bytes (small constants) or a location in an external weights file. */
  data: Uint8Array | ExternalLocation;
}

export class Tensor {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    /** True when a gradient can flow into this tensor from the graph's differentiable sources. */
    readonly requiresGrad: boolean,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly initializers: Initializer[] = [];
  private readonly constants = new Map<string, Tensor>();
  private readonly shapes = new Map<Tensor, Tensor>();
  private nextId = 0;

  fresh(hint: string): string {
    return `${hint}_${this.nextId++}`;
  }

  input(name: string, dtype: DType, shape: Shape, requiresGrad = false): Tensor {
    const t = new Tensor(name, dtype, shape, requiresGrad);
    this.inputs.push(t);
    return t;
  }

  /** A weight read from an external file at run time; never copied into the graph. */
  external(name: string, dtype: DType, shape: number[], location: ExternalLocation): Tensor {
    const t = new Tensor(name, dtype, shape, false);
    this.initializers.push({ tensor: t, data: location });
    return t;
  }

  /** A small inline constant; equal constants are emitted once (onnxruntime's start-up time grows with their number). */
  constant(values: ArrayLike<number>, dtype: DType, shape: number[]): Tensor {
    const data = encodeValues(values, dtype);
    const key = `${dtype}[${shape}]${Buffer.from(data).toString('base64')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const t = new Tensor(this.fresh('const'), dtype, shape, false);
    this.initializers.push({ tensor: t, data });
    this.constants.set(key, t);
    return t;
  }

  scalar(value: number, dtype: DType): Tensor {
    return this.constant([value], dtype, []);
  }

  int64s(values: number[]): Tensor {
    return this.constant(values, 'int64', [values.length]);
  }

  /**
   * Appends one node. `outputTypes` gives each output's dtype and shape; an output requires grad
   * when the node has a VJP rule and some input requires grad.
   */
  node(
    opType: string,
    inputs: Tensor[],
    outputTypes: { dtype: DType; shape: Shape }[],
    attributes: Record<string, AttributeValue> = {},
    vjp?: VjpRule,
  ): Tensor[] {
    const requiresGrad = vjp !== undefined && inputs.some((t) => t.requiresGrad);
    const outputs = outputTypes.map(
      (type) => new Tensor(this.fresh(opType.toLowerCase()), type.dtype, type.shape, requiresGrad),
    );
    this.nodes.push({ opType, inputs, outputs, attributes, vjp });
    return outputs;
  }

  /**
   * An operator built from several nodes with one VJP rule for the whole. The backward pass then
   * differentiates through `inputs` only, so onnxruntime can free the forward's intermediates as
   * soon as the forward is done instead of keeping them for the backward (GPT-2's GELU keeps one
   * [T, d_ff] tensor instead of nine). `forward` builds the output from the inputs; `vjp` gets the
   * inputs and that output.
   */
  composite(inputs: Tensor[], forward: () => Tensor, vjp: VjpRule): Tensor {
    const y = forward();
    const output = new Tensor(this.fresh('composite'), y.dtype, y.shape, inputs.some((t) => t.requiresGrad));
    this.nodes.push({ opType: 'Identity', inputs: [y], outputs: [output], attributes: {}, vjp, gradInputs: inputs });
    return output;
  }

  /** The runtime shape of `x` as an int64 tensor, emitted once per tensor. */
  shapeOf(x: Tensor): Tensor {
    let shape = this.shapes.get(x);
    if (!shape) {
      shape = this.node('Shape', [x], [{ dtype: 'int64', shape: [x.rank] }])[0];
      this.shapes.set(x, shape);
    }
    return shape;
  }

  /** Where gradients start: everything computed from the returned tensor requires grad. */
  gradientSource(x: Tensor): Tensor {
    const source = new Tensor(this.fresh('source'), x.dtype, x.shape, true);
    this.nodes.push({ opType: 'Identity', inputs: [x], outputs: [source], attributes: {} });
    return source;
  }

  output(t: Tensor, name: string): Tensor {
    const renamed = this.node('Identity', [t], [{ dtype: t.dtype, shape: t.shape }])[0];
    const named = new Tensor(name, renamed.dtype, renamed.shape, false);
    this.nodes[this.nodes.length - 1].outputs[0] = named;
    this.outputs.push(named);
    return named;
  }
}

function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  switch (dtype) {
    case 'float32':
      return bytesOf(Float32Array.from(values));
    case 'float64':
      return bytesOf(Float64Array.from(values));
    case 'int64':
      return bytesOf(BigInt64Array.from(Array.from(values, (v) => BigInt(v))));
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new Error(`inline constants of ${dtype} are not supported`);
  }
}

function bytesOf(array: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
