/**
 * Differentiable ONNX operators: each keeps its forward (the node it emits and the shape it
 * infers) next to its VJP rule, micrograd-style. Every rule returns undefined for inputs that
 * need no gradient, so no dead backward nodes are emitted.
 */
import { Dim, DType, Graph, ONNX_TYPE, Shape, Tensor, VjpRule } from './graph';
import { castPlain, maximum, reduceMax, shapeOf, unaryPlain, zerosLike } from './plain';

// ---------- shape reasoning ----------

export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string') out.push(db);
    else if (typeof db === 'string') out.push(da);
    else throw new Error(`cannot broadcast [${a}] with [${b}]`);
  }
  return out;
}

const needs = (t: Tensor) => t.requiresGrad;

/** Sums `grad` over the axes along which `like` was broadcast, giving it `like`'s shape. */
export function sumToShape(g: Graph, grad: Tensor, like: Tensor): Tensor {
  const extra = grad.rank - like.rank;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    const likeDim = i < extra ? undefined : like.shape[i - extra];
    if (likeDim === undefined || (likeDim === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0) return grad;
  const keptShape = grad.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const summed = reduceSum(g, grad, axes, keptShape);
  return extra === 0 ? summed : reshapeTo(g, summed, shapeOf(g, like), like.shape);
}

function elementwise(
  g: Graph,
  opType: string,
  inputs: Tensor[],
  vjp: VjpRule,
  attributes = {},
): Tensor {
  const shape = inputs.map((t) => t.shape).reduce(broadcastShapes);
  return g.node(opType, inputs, [{ dtype: inputs[0].dtype, shape }], attributes, vjp)[0];
}

// ---------- arithmetic ----------

export const add = (g: Graph, a: Tensor, b: Tensor): Tensor =>
  elementwise(g, 'Add', [a, b], (g, [a, b], _, [dy]) => [
    needs(a) ? sumToShape(g, dy!, a) : undefined,
    needs(b) ? sumToShape(g, dy!, b) : undefined,
  ]);

export const sub = (g: Graph, a: Tensor, b: Tensor): Tensor =>
  elementwise(g, 'Sub', [a, b], (g, [a, b], _, [dy]) => [
    needs(a) ? sumToShape(g, dy!, a) : undefined,
    needs(b) ? sumToShape(g, neg(g, dy!), b) : undefined,
  ]);

export const mul = (g: Graph, a: Tensor, b: Tensor): Tensor =>
  elementwise(g, 'Mul', [a, b], (g, [a, b], _, [dy]) => [
    needs(a) ? sumToShape(g, mul(g, dy!, b), a) : undefined,
    needs(b) ? sumToShape(g, mul(g, dy!, a), b) : undefined,
  ]);

/** d(a/b) = da/b − a·db/b² = (da − y·db)/b. */
export const div = (g: Graph, a: Tensor, b: Tensor): Tensor =>
  elementwise(g, 'Div', [a, b], (g, [a, b], [y], [dy]) => {
    const dyOverB = div(g, dy!, b);
    return [
      needs(a) ? sumToShape(g, dyOverB, a) : undefined,
      needs(b) ? sumToShape(g, neg(g, mul(g, dyOverB, y)), b) : undefined,
    ];
  });

export const neg = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Neg', [x], (g, _, __, [dy]) => [neg(g, dy!)]);

export const exp = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Exp', [x], (g, _, [y], [dy]) => [mul(g, dy!, y)]);

export const log = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Log', [x], (g, [x], _, [dy]) => [div(g, dy!, x)]);

/** d√x = dy / (2√x). */
export const sqrt = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Sqrt', [x], (g, _, [y], [dy]) => [div(g, dy!, add(g, y, y))]);

/** dtanh = dy · (1 − y²). */
export const tanh = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Tanh', [x], (g, _, [y], [dy]) => [
    sub(g, dy!, mul(g, dy!, mul(g, y, y))),
  ]);

/** dσ = dy · y · (1 − y). */
export const sigmoid = (g: Graph, x: Tensor): Tensor =>
  elementwise(g, 'Sigmoid', [x], (g, _, [y], [dy]) => {
    const dyY = mul(g, dy!, y);
    return [sub(g, dyY, mul(g, dyY, y))];
  });

// ---------- linear algebra ----------

function swapLastTwo(g: Graph, x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(g, x, perm);
}

/** Batched A[..., M, K] · B[..., K, N]; dA = dY·Bᵀ, dB = Aᵀ·dY (summed over broadcast batches). */
export const matmul = (g: Graph, a: Tensor, b: Tensor): Tensor => {
  if (a.rank < 2 || b.rank < 2) throw new Error('matmul needs operands of rank ≥ 2');
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]];
  return g.node('MatMul', [a, b], [{ dtype: a.dtype, shape }], {}, (g, [a, b], _, [dy]) => [
    needs(a) ? sumToShape(g, matmul(g, dy!, swapLastTwo(g, b)), a) : undefined,
    needs(b) ? sumToShape(g, matmul(g, swapLastTwo(g, a), dy!), b) : undefined,
  ])[0];
};

// ---------- reductions and normalisers ----------

/** Sum over `axes`, keeping them as size-1 dims (so the VJP is a plain broadcast back). */
export function reduceSum(g: Graph, x: Tensor, axes: number[], keptShape?: Shape): Tensor {
  const shape = keptShape ?? x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return g.node(
    'ReduceSum',
    [x, g.int64s(axes)],
    [{ dtype: x.dtype, shape }],
    { keepdims: 1 },
    (g, [x], _, [dy]) => [expand(g, dy!, shapeOf(g, x), x.shape)],
  )[0];
}

/** Mean over static `axes` (keepdims), as ReduceMean computes it. */
export function reduceMean(g: Graph, x: Tensor, axes: number[]): Tensor {
  const count = axes.reduce((n, axis) => n * staticDim(x, axis), 1);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return g.node(
    'ReduceMean',
    [x],
    [{ dtype: x.dtype, shape }],
    { axes, keepdims: 1 },
    (g, [x], _, [dy]) => [
      expand(g, div(g, dy!, g.scalar(count, x.dtype)), shapeOf(g, x), x.shape),
    ],
  )[0];
}

function staticDim(x: Tensor, axis: number): number {
  const d = x.shape[axis];
  if (typeof d !== 'number') throw new Error(`axis ${axis} of [${x.shape}] must be static`);
  return d;
}

/** Softmax over the last axis; dx = y ⊙ (dy − Σ dy ⊙ y). */
export const softmax = (g: Graph, x: Tensor): Tensor =>
  g.node('Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: -1 }, (g, _, [y], [dy]) => {
    const dyY = mul(g, dy!, y);
    return [sub(g, dyY, mul(g, y, reduceSum(g, dyY, [y.rank - 1])))];
  })[0];

/** Log-softmax over the last axis; dx = dy − softmax(x) · Σ dy. */
export const logSoftmax = (g: Graph, x: Tensor): Tensor =>
  g.node('LogSoftmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: -1 }, (g, _, [y], [dy]) => [
    sub(g, dy!, mul(g, exp(g, y), reduceSum(g, dy!, [y.rank - 1]))),
  ])[0];

// ---------- layout ----------

export const transpose = (g: Graph, x: Tensor, perm: number[]): Tensor => {
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return g.node(
    'Transpose',
    [x],
    [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }],
    { perm },
    (g, _, __, [dy]) => [transpose(g, dy!, inverse)],
  )[0];
};

/**
 * Reshape to `dims`; a symbolic dim equal to the input's at the same index is copied (0), one
 * other symbolic dim is inferred (-1), so the graph stays dynamic in T.
 */
export function reshape(g: Graph, x: Tensor, dims: Shape): Tensor {
  const spec = dims.map((d, i) => (typeof d === 'number' ? d : d === x.shape[i] ? 0 : -1));
  if (spec.filter((d) => d === -1).length > 1) throw new Error(`reshape to [${dims}] is ambiguous`);
  return reshapeTo(g, x, g.int64s(spec), dims);
}

function reshapeTo(g: Graph, x: Tensor, shapeTensor: Tensor, dims: Shape): Tensor {
  return g.node('Reshape', [x, shapeTensor], [{ dtype: x.dtype, shape: dims }], {}, (g, [x], _, [dy]) => [
    reshapeTo(g, dy!, shapeOf(g, x), x.shape),
  ])[0];
}

export function expand(g: Graph, x: Tensor, shapeTensor: Tensor, dims: Shape): Tensor {
  return g.node(
    'Expand',
    [x, shapeTensor],
    [{ dtype: x.dtype, shape: broadcastShapes(x.shape, dims) }],
    {},
    (g, [x], _, [dy]) => [sumToShape(g, dy!, x)],
  )[0];
}

/** Concatenate along a static axis; the VJP splits the gradient back into the pieces. */
export function concat(g: Graph, xs: Tensor[], axis: number): Tensor {
  const sizes = xs.map((x) => staticDim(x, axis));
  const shape = xs[0].shape.map((d, i) => (i === axis ? sizes.reduce((a, b) => a + b) : d));
  return g.node('Concat', xs, [{ dtype: xs[0].dtype, shape }], { axis }, (g, xs, _, [dy]) => {
    const pieces = split(g, dy!, axis, sizes);
    return xs.map((x, i) => (needs(x) ? pieces[i] : undefined));
  })[0];
}

/** Split along a static axis into `sizes`; the VJP concatenates, with zeros for unused pieces. */
export function split(g: Graph, x: Tensor, axis: number, sizes: number[]): Tensor[] {
  const types = sizes.map((size) => ({
    dtype: x.dtype,
    shape: x.shape.map((d, i) => (i === axis ? size : d)),
  }));
  return g.node('Split', [x, g.int64s(sizes)], types, { axis }, (g, _, outputs, dys) => [
    concat(g, outputs.map((y, i) => dys[i] ?? zerosLike(g, y)), axis),
  ]);
}

export function cast(g: Graph, x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return g.node('Cast', [x], [{ dtype, shape: x.shape }], { to: ONNX_TYPE[dtype] }, (g, [x], _, [dy]) => [
    cast(g, dy!, x.dtype),
  ])[0];
}

/**
 * x[T, in] times a weight stored [out, in] (`weightIsOutIn`, nn.Linear) or [in, out] (Conv1D),
 * as one Gemm so no transposed copy of the weight is ever made; the VJP flips transB the same way.
 */
export function linear(g: Graph, x: Tensor, weight: Tensor, weightIsOutIn: boolean): Tensor {
  if (x.rank !== 2 || weight.rank !== 2) throw new Error('linear needs a 2-D input and weight');
  const outFeatures = weight.shape[weightIsOutIn ? 0 : 1];
  return g.node(
    'Gemm',
    [x, weight],
    [{ dtype: x.dtype, shape: [x.shape[0], outFeatures] }],
    { transB: weightIsOutIn ? 1 : 0 },
    (g, [x, weight], _, [dy]) => [
      needs(x) ? linear(g, dy!, weight, !weightIsOutIn) : undefined,
      needs(weight) ? weightGradient(g, x, dy!, weightIsOutIn) : undefined,
    ],
  )[0];
}

/**
 * linear() with half-precision operands (GPU tensor cores), the product back in x's dtype; the
 * weight must already be float16. Each row of x — of dy, in the VJP — is divided by its largest
 * magnitude before rounding and the product's row multiplied back, which is exact algebra
 * (diag(s)·x·W = diag(s)·(x·W)) and keeps a large activation from overflowing float16 (max
 * 65504) and a small gradient from underflowing it, with no loss-scale to tune.
 */
export function halfLinear(g: Graph, x: Tensor, weight: Tensor, weightIsOutIn: boolean): Tensor {
  if (weight.dtype !== 'float16' || weight.requiresGrad) throw new Error('halfLinear needs a constant float16 weight');
  return g.composite(
    [x],
    () => rowScaledHalfGemm(g, x, weight, weightIsOutIn),
    (g, _, __, [dy]) => [rowScaledHalfGemm(g, dy!, weight, !weightIsOutIn)],
  );
}

function rowScaledHalfGemm(g: Graph, x: Tensor, weight: Tensor, transB: boolean): Tensor {
  const rowMax = reduceMax(g, unaryPlain(g, 'Abs', x));
  // A zero row (δ where no loss reaches) keeps scale 1e-30 and stays exactly zero.
  const scale = maximum(g, rowMax, g.scalar(1e-30, x.dtype), rowMax.shape);
  const product = linear(g, castPlain(g, div(g, x, scale), 'float16'), weight, transB);
  return mul(g, castPlain(g, product, x.dtype), scale);
}

/** dW = dyᵀ·x for a [out, in] weight, xᵀ·dy for an [in, out] one: Σ_i over the T rows. */
function weightGradient(g: Graph, x: Tensor, dy: Tensor, weightIsOutIn: boolean): Tensor {
  const [a, b] = weightIsOutIn ? [dy, x] : [x, dy];
  return g.node('Gemm', [a, b], [{ dtype: x.dtype, shape: [a.shape[1], b.shape[1]] }], { transA: 1 })[0];
}
