import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { backward } from '../../src/graph/autodiff';
import { Graph, Tensor } from '../../src/graph/graph';
import { toOnnxBytes } from '../../src/graph/onnx';
import * as nn from '../../src/graph/nn';
import * as op from '../../src/graph/ops';
import { shapeOf } from '../../src/graph/plain';
import { Builder, maxVjpError } from './gradcheck';
import { normalCdf } from '../../src/graph/normalCdf';
import { erf } from '../support/referenceForward';

/** cos and sin tables [T = 3, hd/2 = 2] of arbitrary angles, as constants (not differentiated). */
function rotaryTables(g: Graph): [Tensor, Tensor] {
  const angles = [0.3, -1.1, 2.0, 0.7, -0.4, 1.6];
  return [g.constant(angles.map(Math.cos), 'float64', [3, 2]), g.constant(angles.map(Math.sin), 'float64', [3, 2])];
}

const HALF_WEIGHT = [0.5, -0.25, 0.75, 1, -1, 0.125, 0.375, -0.625, 0.25, 0.875, -0.5, 0.3125, -0.75, 0.625, 0.0625, -0.875, 1, -0.375, 0.5, 0.25];

const cases: [string, Builder, number[][], { positive?: boolean; tolerance?: number; step?: number }?][] = [
  ['Add with broadcast', (g, [a, b]) => op.add(g, a, b), [[2, 3], [3]]],
  ['Sub with broadcast', (g, [a, b]) => op.sub(g, a, b), [[2, 1, 4], [3, 1]]],
  ['Mul with broadcast', (g, [a, b]) => op.mul(g, a, b), [[2, 3, 1], [1, 4]]],
  ['Div with broadcast', (g, [a, b]) => op.div(g, a, b), [[3, 4], [3, 1]], { positive: true }],
  ['Neg', (g, [a]) => op.neg(g, a), [[5]]],
  ['Exp', (g, [a]) => op.exp(g, a), [[2, 3]]],
  ['Log', (g, [a]) => op.log(g, a), [[2, 3]], { positive: true }],
  ['Sqrt', (g, [a]) => op.sqrt(g, a), [[2, 3]], { positive: true }],
  ['Tanh', (g, [a]) => op.tanh(g, a), [[2, 3]]],
  ['Sigmoid', (g, [a]) => op.sigmoid(g, a), [[2, 3]]],
  ['MatMul', (g, [a, b]) => op.matmul(g, a, b), [[3, 4], [4, 2]]],
  ['MatMul with batch broadcast', (g, [a, b]) => op.matmul(g, a, b), [[2, 3, 4], [4, 5]]],
  ['Gemm as nn.Linear ([out, in] weight)', (g, [x, w]) => op.linear(g, x, w, true), [[3, 4], [5, 4]]],
  ['Gemm as Conv1D ([in, out] weight)', (g, [x, w]) => op.linear(g, x, w, false), [[3, 4], [4, 5]]],
  // The weight is a fixed half-precision constant; the step is wide enough that float16 rounding
  // (relative 2⁻¹¹) of the scaled rows and the product stays far below the tolerance.
  ['Gemm in half precision, rows scaled (composite)', (g, [x]) => op.halfLinear(g, x, op.cast(g, g.constant(HALF_WEIGHT, 'float64', [5, 4]), 'float16'), true), [[3, 4]], { step: 0.05, tolerance: 1e-2 }],
  ['ReduceSum', (g, [a]) => op.reduceSum(g, a, [1]), [[2, 3, 4]]],
  ['RMSNorm (composite: one VJP from x)', (g, [x, gain]) => nn.rmsNorm(g, x, gain, 1e-5), [[3, 6], [6]]],
  ['LayerNorm (composite: one VJP from x)', (g, [x, gain, bias]) => nn.layerNorm(g, x, gain, bias, 1e-5), [[3, 6], [6], [6]]],
  ['Rotary, interleaved (composite: rotate dy back)', (g, [x]) => nn.applyRotary(g, x, ...rotaryTables(g), 'interleaved'), [[2, 3, 4]]],
  ['Rotary, rotate-half (composite: rotate dy back)', (g, [x]) => nn.applyRotary(g, x, ...rotaryTables(g), 'rotate-half'), [[2, 3, 4]]],
  ['SwiGLU (composite: one VJP from gate and up)', (g, [gate, up]) => nn.swiGlu(g, op.mul(g, gate, g.scalar(3, gate.dtype)), up), [[3, 5], [3, 5]]],
  ['Causal attention (composite: probabilities recomputed)', (g, [q, k, v]) => nn.causalAttention(g, q, k, v, nn.causalMaskBias(g, g.constant(new Array(12).fill(0), 'float64', [4, 3]))), [[2, 4, 3], [2, 4, 3], [2, 4, 3]]],
  ['Linear plus a low-rank update, x·W + (x·Pᵀ)·Q', (g, [x, w, p, q]) => nn.plusLowRank(g, op.linear(g, x, w, false), x, { p, q }), [[3, 4], [4, 5], [2, 4], [2, 5]]],
  ['GELU tanh (composite: one VJP from x)', (g, [x]) => nn.geluTanh(g, op.mul(g, x, g.scalar(3, x.dtype))), [[4, 5]]],
  ['GELU erf (composite: one VJP from x)', (g, [x]) => nn.geluErf(g, op.mul(g, x, g.scalar(3, x.dtype))), [[4, 5]]],
  ['Rotary on the first 4 of 6 dims, rotate-half (GPT-NeoX)', (g, [x]) => nn.applyPartialRotary(g, x, ...rotaryTables(g), 'rotate-half', 4), [[2, 3, 6]]],
  ['ReduceMean', (g, [a]) => op.reduceMean(g, a, [2]), [[2, 3, 4]]],
  ['Softmax', (g, [a]) => op.softmax(g, a), [[3, 5]]],
  ['LogSoftmax', (g, [a]) => op.logSoftmax(g, a), [[3, 5]]],
  ['Transpose', (g, [a]) => op.transpose(g, a, [2, 0, 1]), [[2, 3, 4]]],
  ['Reshape', (g, [a]) => op.reshape(g, a, [3, 2, 4]), [[2, 3, 4]]],
  ['Expand', (g, [a]) => op.expand(g, a, g.int64s([2, 3, 4]), [2, 3, 4]), [[3, 1]]],
  ['Concat', (g, [a, b]) => op.concat(g, [a, b], 1), [[2, 3], [2, 2]]],
  ['Split (one piece used)', (g, [a]) => op.split(g, a, 1, [1, 3])[1], [[2, 4]]],
  ['Split (both pieces used)', (g, [a]) => {
    const [p, q] = op.split(g, a, 0, [2, 1]);
    return op.mul(g, p, op.expand(g, q, shapeOf(g, p), p.shape));
  }, [[3, 2]]],
  // float32 round trip: differences are limited by float32 rounding, so a larger step and tolerance.
  ['Cast', (g, [a]) => op.cast(g, op.mul(g, op.cast(g, a, 'float32'), op.cast(g, a, 'float32')), 'float64'), [[4]], { step: 1e-3, tolerance: 1e-3 }],
];

for (const [name, build, shapes, options] of cases) {
  test(`VJP of ${name} matches central differences`, async () => {
    const error = await maxVjpError(build, shapes, options);
    assert.ok(error < (options?.tolerance ?? 1e-6), `max relative error ${error}`);
  });
}

test('a gradient check fails for a wrong VJP rule', async () => {
  // Guards the harness itself: a rule that forgets the chain-rule factor must be caught.
  const wrongSquare: Builder = (g, [a]) =>
    g.node('Mul', [a, a], [{ dtype: a.dtype, shape: a.shape }], {}, (_g, _in, _out, [dy]) => [dy, undefined])[0];
  const error = await maxVjpError(wrongSquare, [[3]]);
  assert.ok(error > 0.1, `harness missed a wrong rule (error ${error})`);
});

test('halfLinear keeps rows far outside float16 range, forward and VJP, and zero rows exactly zero', async () => {
  // Rows of 1e-7 underflow and rows of 1e6 overflow a plain float16 cast (range 6e-8 … 65504).
  const rowScales = [1e-7, 1, 1e6, 0];
  const x = rowScales.flatMap((s, r) => HALF_WEIGHT.slice(r * 4, r * 4 + 4).map((v) => v * s));
  const g = new Graph();
  const input = g.input('x', 'float32', [4, 4], true);
  const weight = op.cast(g, g.constant(HALF_WEIGHT, 'float32', [5, 4]), 'float16');
  const y = op.halfLinear(g, input, weight, true);
  g.output(y, 'y');
  const dy = g.constant(x.concat(x.slice(0, 4)), 'float32', [4, 5]);
  const grads = backward(g, op.reshape(g, op.reduceSum(g, op.mul(g, y, dy), [0, 1]), []));
  g.output(grads.get(input)!, 'dx');
  const session = await ort.InferenceSession.create(toOnnxBytes(g, 'half-range'));
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [4, 4]) });
  await session.release();
  const exactY = matmulTransB(x, HALF_WEIGHT, 4, 4, 5);
  const exactDx = matmul(x.concat(x.slice(0, 4)), HALF_WEIGHT, 4, 5, 4);
  for (const [name, got, want] of [['y', out.y.data as Float32Array, exactY], ['dx', out.dx.data as Float32Array, exactDx]] as const) {
    for (let r = 0; r < 4; r++) {
      const row = (a: ArrayLike<number>, width: number) => Array.from({ length: width }, (_, j) => a[r * width + j]);
      const width = want.length / 4;
      const wantRow = row(want, width);
      const scale = Math.max(...wantRow.map(Math.abs));
      if (scale === 0) {
        assert.ok(row(got, width).every((v) => v === 0), `${name} row ${r} stays exactly zero`);
        continue;
      }
      const error = Math.max(...row(got, width).map((v, j) => Math.abs(v - wantRow[j]))) / scale;
      assert.ok(error < 2e-3, `${name} row ${r} (magnitude ${scale.toExponential(1)}): relative error ${error}`);
    }
  }
});

/** a [m, k] · bᵀ for b [n, k], row-major, in float64. */
function matmulTransB(a: number[], b: number[], m: number, k: number, n: number): number[] {
  return Array.from({ length: m * n }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += a[Math.floor(i / n) * k + j] * b[(i % n) * k + j];
    return sum;
  });
}

/** a [m, k] · b [k, n], row-major, in float64. */
function matmul(a: number[], b: number[], m: number, k: number, n: number): number[] {
  return Array.from({ length: m * n }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += a[Math.floor(i / n) * k + j] * b[j * n + (i % n)];
    return sum;
  });
}

/** Φ(x) from the graph, in float32 (onnxruntime's Erf) or float64 (the Chebyshev erfc). */
async function graphNormalCdf(xs: number[], dtype: 'float32' | 'float64'): Promise<ArrayLike<number>> {
  const g = new Graph();
  g.output(normalCdf(g, g.input('x', dtype, [xs.length])), 'y');
  const session = await ort.InferenceSession.create(toOnnxBytes(g, 'normal-cdf'));
  const data = dtype === 'float64' ? Float64Array.from(xs) : Float32Array.from(xs);
  const out = await session.run({ x: new ort.Tensor(dtype, data, [xs.length]) });
  await session.release();
  return out.y.data as Float32Array | Float64Array;
}

test('Φ in float64 matches mpmath and the erf series to double precision; float32 (Erf node) to float32', async () => {
  // mpmath.ncdf at 40 digits.
  const known: [number, number][] = [
    [-8, 6.2209605742717841235e-16],
    [-3.5, 0.00023262907903552503635],
    [-1, 0.15865525393145705141],
    [-0.01, 0.49601064368536839622],
    [0, 0.5],
    [0.3, 0.61791142218895263307],
    [1.7, 0.95543453724145695634],
    [4, 0.99996832875816688008],
    [9, 1],
  ];
  const at = await graphNormalCdf(known.map(([x]) => x), 'float64');
  known.forEach(([x, want], i) => assert.ok(Math.abs(at[i] - want) <= 2e-16 + 1e-14 * want, `Φ(${x}) = ${at[i]}, mpmath ${want}`));
  const xs = Array.from({ length: 2001 }, (_, i) => -20 + i * 0.02);
  const [double, single] = await Promise.all([graphNormalCdf(xs, 'float64'), graphNormalCdf(xs, 'float32')]);
  const series = xs.map((x) => 0.5 * (1 + erf(x / Math.SQRT2)));
  const worst = (got: ArrayLike<number>) => Math.max(...xs.map((_, i) => Math.abs(got[i] - series[i])));
  assert.ok(worst(double) < 2e-15, `float64: max |ΔΦ| ${worst(double)}`);
  assert.ok(worst(single) < 2e-7, `float32: max |ΔΦ| ${worst(single)}`);
});
