/**
 * Operators that are never differentiated: shape arithmetic, masks, indices and the lens's
 * top-k read-out. They emit nodes without a VJP rule, so autodiff refuses to pass through them.
 */
import { DType, Graph, ONNX_TYPE, Shape, Tensor } from './graph';

function plain(g: Graph, opType: string, inputs: Tensor[], dtype: DType, shape: Shape, attributes = {}): Tensor {
  return g.node(opType, inputs, [{ dtype, shape }], attributes)[0];
}

export const shapeOf = (g: Graph, x: Tensor): Tensor => g.shapeOf(x);

export function zerosLike(g: Graph, x: Tensor): Tensor {
  const zero = g.scalar(0, x.dtype);
  return plain(g, 'Expand', [zero, shapeOf(g, x)], x.dtype, x.shape);
}

/** Rows of `data` (a weight, never differentiated) picked by `indices`. */
export function gather(g: Graph, data: Tensor, indices: Tensor, axis = 0): Tensor {
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  return plain(g, 'Gather', [data, indices], data.dtype, shape, { axis });
}

/** One dim of `x` as a 1-element int64 tensor (for dynamic lengths such as T). */
export function dimOf(g: Graph, x: Tensor, axis: number): Tensor {
  return gather(g, shapeOf(g, x), g.int64s([axis]));
}

/** [0, 1, …, n−1] with n a 1-element int64 tensor, cast to `dtype`. */
export function arange(g: Graph, n: Tensor, dtype: DType, length: string | number): Tensor {
  const scalarN = plain(g, 'Squeeze', [n, g.int64s([0])], 'int64', []);
  const ids = plain(g, 'Range', [g.scalar(0, 'int64'), scalarN, g.scalar(1, 'int64')], 'int64', [length]);
  return castPlain(g, ids, dtype);
}

export function castPlain(g: Graph, x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : plain(g, 'Cast', [x], dtype, x.shape, { to: ONNX_TYPE[dtype] });
}

export const greater = (g: Graph, a: Tensor, b: Tensor, shape: Shape): Tensor =>
  plain(g, 'Greater', [a, b], 'bool', shape);

export const equal = (g: Graph, a: Tensor, b: Tensor, shape: Shape): Tensor =>
  plain(g, 'Equal', [a, b], 'bool', shape);

/** Top-k (largest) or bottom-k (smallest) along the last axis: values and int64 indices. */
export function topK(g: Graph, x: Tensor, k: Tensor, largest: boolean): { values: Tensor; indices: Tensor } {
  const shape = [...x.shape.slice(0, -1), 'k'];
  const [values, indices] = g.node(
    'TopK',
    [x, k],
    [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape },
    ],
    { axis: -1, largest: largest ? 1 : 0, sorted: 1 },
  );
  return { values, indices };
}

export function reduceL2(g: Graph, x: Tensor): Tensor {
  return plain(g, 'ReduceL2', [x], x.dtype, [...x.shape.slice(0, -1), 1], { axes: [-1], keepdims: 1 });
}

export function reduceSumPlain(g: Graph, x: Tensor, axes: number[]): Tensor {
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return plain(g, 'ReduceSum', [x, g.int64s(axes)], x.dtype, shape, { keepdims: 1 });
}

export function gatherElements(g: Graph, data: Tensor, indices: Tensor, axis: number): Tensor {
  return plain(g, 'GatherElements', [data, indices], data.dtype, indices.shape, { axis });
}

export function unsqueeze(g: Graph, x: Tensor, axis: number): Tensor {
  const shape = [...x.shape];
  shape.splice(axis, 0, 1);
  return plain(g, 'Unsqueeze', [x, g.int64s([axis])], x.dtype, shape);
}

/** Lower-triangular (k=0) ones of shape [n, n], n a 1-element int64 tensor. */
export function causalMask(g: Graph, n: Tensor, dtype: DType, length: string): Tensor {
  const square = plain(g, 'Concat', [n, n], 'int64', [2], { axis: 0 });
  const ones = plain(g, 'Expand', [g.scalar(1, dtype), square], dtype, [length, length]);
  return plain(g, 'Trilu', [ones], dtype, [length, length], { upper: 0 });
}

/**
 * Concatenation of tensors that are only read (results, stacked taps), along an axis that is
 * static unless the caller names the resulting dim.
 */
export function concatPlain(g: Graph, xs: Tensor[], axis: number, resultDim?: string): Tensor {
  const total =
    resultDim ??
    xs.reduce((n, x) => {
      const size = x.shape[axis];
      if (typeof size !== 'number') throw new Error(`axis ${axis} of [${x.shape}] must be static`);
      return n + size;
    }, 0);
  const shape = xs[0].shape.map((d, i) => (i === axis ? total : d));
  return plain(g, 'Concat', xs, xs[0].dtype, shape, { axis });
}

/** An elementwise op of one input without a VJP (Abs, Sign, Cos, Erf …): inside a composite, or where no gradient flows. */
export const unaryPlain = (g: Graph, opType: string, x: Tensor): Tensor => plain(g, opType, [x], x.dtype, x.shape);

export const minimum = (g: Graph, a: Tensor, b: Tensor, shape: Shape): Tensor => plain(g, 'Min', [a, b], a.dtype, shape);

export const maximum = (g: Graph, a: Tensor, b: Tensor, shape: Shape): Tensor => plain(g, 'Max', [a, b], a.dtype, shape);

/** log Σ exp over the last axis, kept as a size-1 axis. */
export function reduceLogSumExp(g: Graph, x: Tensor): Tensor {
  return plain(g, 'ReduceLogSumExp', [x], x.dtype, [...x.shape.slice(0, -1), 1], { axes: [-1], keepdims: 1 });
}

/** Max over the last axis, kept as a size-1 axis. */
export function reduceMax(g: Graph, x: Tensor): Tensor {
  return plain(g, 'ReduceMax', [x], x.dtype, [...x.shape.slice(0, -1), 1], { axes: [-1], keepdims: 1 });
}

/** x[..., start:end] along `axis`, start and end 1-element int64 tensors. */
export function sliceAxis(g: Graph, x: Tensor, start: Tensor, end: Tensor, axis: number): Tensor {
  const shape = x.shape.map((d, i) => (i === axis ? 'slice' : d));
  return plain(g, 'Slice', [x, start, end, g.int64s([axis])], x.dtype, shape);
}

/** Merges the axes from `axis` on into one. */
export function flattenFrom(g: Graph, x: Tensor, axis: number): Tensor {
  return plain(g, 'Flatten', [x], x.dtype, [...x.shape.slice(0, axis), 'flat'], { axis });
}
