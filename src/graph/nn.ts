/**
 * Transformer building blocks composed from the differentiable ops, written like llama2.c:
 * the residual stream is [T, d] (one sequence), heads are [H, T, hd].
 */
import type { Precision } from '../result/schema';
import { Graph, Tensor } from './graph';
import * as op from './ops';
import { normalCdf } from './normalCdf';
import { arange, causalMask, dimOf, unaryPlain } from './plain';

const needs = (t: Tensor) => t.requiresGrad;

/**
 * RMSNorm: x̂ ⊙ g with x̂ = x / r, r = √(mean(x²) + ε). One VJP for the whole, from x alone:
 * dx = (g⊙dy − x̂ · mean(g⊙dy ⊙ x̂)) / r, dg = Σ dy ⊙ x̂.
 */
export function rmsNorm(g: Graph, x: Tensor, gain: Tensor, eps: number): Tensor {
  const normalize = (x: Tensor) => {
    const rms = op.sqrt(g, op.add(g, op.reduceMean(g, op.mul(g, x, x), [x.rank - 1]), g.scalar(eps, x.dtype)));
    return { normalized: op.div(g, x, rms), scale: rms };
  };
  return g.composite([x, gain], () => op.mul(g, normalize(x).normalized, gain), (g, [x, gain], _, [dy]) => {
    const { normalized, scale } = normalize(x);
    const gdy = op.mul(g, dy!, gain);
    return [
      needs(x) ? op.div(g, op.sub(g, gdy, op.mul(g, normalized, op.reduceMean(g, op.mul(g, gdy, normalized), [x.rank - 1]))), scale) : undefined,
      needs(gain) ? op.sumToShape(g, op.mul(g, dy!, normalized), gain) : undefined,
    ];
  });
}

/**
 * LayerNorm: x̂ ⊙ g + b with x̂ = (x − mean) / σ, σ = √(var + ε) (biased variance); the forward is
 * ONNX's one LayerNormalization node (opset 17). One VJP for the whole, recomputing x̂ and σ
 * from x: dx = (g⊙dy − mean(g⊙dy) − x̂ · mean(g⊙dy ⊙ x̂)) / σ.
 */
export function layerNorm(g: Graph, x: Tensor, gain: Tensor, bias: Tensor, eps: number): Tensor {
  const forward = () => g.node('LayerNormalization', [x, gain, bias], [{ dtype: x.dtype, shape: x.shape }], { axis: -1, epsilon: { float: eps } })[0];
  return g.composite([x, gain, bias], forward, (g, [x, gain, bias], _, [dy]) => {
    const axis = [x.rank - 1];
    const centred = op.sub(g, x, op.reduceMean(g, x, axis));
    const std = op.sqrt(g, op.add(g, op.reduceMean(g, op.mul(g, centred, centred), axis), g.scalar(eps, x.dtype)));
    const normalized = op.div(g, centred, std);
    const gdy = op.mul(g, dy!, gain);
    const centredGrad = op.sub(g, op.sub(g, gdy, op.reduceMean(g, gdy, axis)), op.mul(g, normalized, op.reduceMean(g, op.mul(g, gdy, normalized), axis)));
    return [
      needs(x) ? op.div(g, centredGrad, std) : undefined,
      needs(gain) ? op.sumToShape(g, op.mul(g, dy!, normalized), gain) : undefined,
      needs(bias) ? op.sumToShape(g, dy!, bias) : undefined,
    ];
  });
}

/**
 * SwiGLU, Llama's FF2 input: silu(gate) ⊙ up with silu(x) = x σ(x). One VJP for the whole,
 * recomputing σ(gate): dgate = dy ⊙ up ⊙ σ(gate)(1 + gate(1 − σ(gate))), dup = dy ⊙ silu(gate).
 */
export function swiGlu(g: Graph, gate: Tensor, up: Tensor): Tensor {
  const one = g.scalar(1, gate.dtype);
  return g.composite([gate, up], () => op.mul(g, op.mul(g, gate, op.sigmoid(g, gate)), up), (g, [gate, up], _, [dy]) => {
    const sigma = op.sigmoid(g, gate);
    const siluSlope = op.mul(g, sigma, op.add(g, one, op.mul(g, gate, op.sub(g, one, sigma))));
    return [
      needs(gate) ? op.mul(g, op.mul(g, dy!, up), siluSlope) : undefined,
      needs(up) ? op.mul(g, dy!, op.mul(g, gate, sigma)) : undefined,
    ];
  });
}

/**
 * GPT-2's GELU ("gelu_new"): ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³). One VJP for the
 * whole, recomputing t from x: d/dx = ½(1 + t) + ½x(1 − t²) · √(2/π)(1 + 3·0.044715x²).
 */
export function geluTanh(g: Graph, x: Tensor): Tensor {
  const c = (v: number) => g.scalar(v, x.dtype);
  const tanhOfU = (x: Tensor) => op.tanh(g, op.mul(g, c(Math.sqrt(2 / Math.PI)), op.add(g, x, op.mul(g, c(0.044715), op.mul(g, op.mul(g, x, x), x)))));
  return g.composite([x], () => op.mul(g, op.mul(g, c(0.5), x), op.add(g, c(1), tanhOfU(x))), (g, [x], _, [dy]) => {
    const t = tanhOfU(x);
    const du = op.mul(g, c(Math.sqrt(2 / Math.PI)), op.add(g, c(1), op.mul(g, c(3 * 0.044715), op.mul(g, x, x))));
    const halfX = op.mul(g, c(0.5), x);
    const slope = op.add(g, op.mul(g, c(0.5), op.add(g, c(1), t)), op.mul(g, halfX, op.mul(g, op.sub(g, c(1), op.mul(g, t, t)), du)));
    return [op.mul(g, dy!, slope)];
  });
}

/**
 * The exact GELU (Hugging Face "gelu", GPT-NeoX/Pythia): x Φ(x), Φ the standard normal CDF. One VJP
 * for the whole, recomputing Φ from x: d/dx = Φ(x) + x φ(x), φ(x) = exp(−x²/2) / √(2π).
 */
export function geluErf(g: Graph, x: Tensor): Tensor {
  const c = (v: number) => g.scalar(v, x.dtype);
  return g.composite([x], () => op.mul(g, x, normalCdf(g, x)), (g, [x], _, [dy]) => {
    const density = op.mul(g, c(1 / Math.sqrt(2 * Math.PI)), op.exp(g, op.mul(g, c(-0.5), op.mul(g, x, x))));
    return [op.mul(g, dy!, op.add(g, normalCdf(g, x), op.mul(g, x, density)))];
  });
}

/** x·W at the given precision: float16 multiplies a half-precision copy of W (see op.halfLinear). */
export function linearAt(g: Graph, x: Tensor, weight: Tensor, weightIsOutIn: boolean, precision: Precision): Tensor {
  return precision === 'float16' ? op.halfLinear(g, x, op.cast(g, weight, 'float16'), weightIsOutIn) : op.linear(g, x, weight, weightIsOutIn);
}

export function linearWithBias(g: Graph, x: Tensor, weight: Tensor, bias: Tensor | undefined, weightIsOutIn: boolean, precision: Precision): Tensor {
  const y = linearAt(g, x, weight, weightIsOutIn, precision);
  return bias ? op.add(g, y, bias) : y;
}

/** Update factors of a weight W [in, out] (row-vector convention): W' = W + Pᵀ Q, P [r, in], Q [r, out]. */
export interface LowRankUpdate {
  p: Tensor;
  q: Tensor;
}

/**
 * y + (x Pᵀ) Q: the output of x · (W + Pᵀ Q) given y = x W, so a rank-r edit of W costs two thin
 * GEMMs and W itself is never copied or changed. No update: y itself.
 */
export function plusLowRank(g: Graph, y: Tensor, x: Tensor, update: LowRankUpdate | undefined): Tensor {
  return update ? op.add(g, y, op.matmul(g, op.linear(g, x, update.p, true), update.q)) : y;
}

/** [T, H·hd] → [H, T, hd]. */
export function splitHeads(g: Graph, x: Tensor, heads: number, headDim: number): Tensor {
  const seq = x.shape[0];
  return op.transpose(g, op.reshape(g, x, [seq, heads, headDim]), [1, 0, 2]);
}

/** [H, T, hd] → [T, H·hd]. */
export function mergeHeads(g: Graph, x: Tensor): Tensor {
  const [heads, seq, headDim] = x.shape as [number, string, number];
  return op.reshape(g, op.transpose(g, x, [1, 0, 2]), [seq, heads * headDim]);
}

/** Grouped-query attention: each of the kvHeads is shared by heads / kvHeads query heads. */
export function repeatKv(g: Graph, x: Tensor, heads: number): Tensor {
  const [kvHeads, seq, headDim] = x.shape as [number, string, number];
  if (kvHeads === heads) return x;
  const groups = heads / kvHeads;
  const grouped = op.reshape(g, x, [kvHeads, 1, seq, headDim]);
  const target = op.concat(g, [g.int64s([kvHeads, groups]), dimOf(g, x, 1), g.int64s([headDim])], 0);
  const expanded = op.expand(g, grouped, target, [kvHeads, groups, seq, headDim]);
  return op.reshape(g, expanded, [heads, seq, headDim]);
}

/** The additive causal mask [T, T] for the rows of `residual`: 0 where j ≤ i, −1e9 above. */
export function causalMaskBias(g: Graph, residual: Tensor): Tensor {
  const seq = residual.shape[0] as string;
  const allowed = causalMask(g, dimOf(g, residual, 0), residual.dtype, seq);
  // −1e9 rather than −inf: exp underflows to an exact 0 without producing NaN in 0·inf.
  return op.mul(g, op.sub(g, g.scalar(1, residual.dtype), allowed), g.scalar(-1e9, residual.dtype));
}

/**
 * softmax(q kᵀ / √hd + mask) v over [H, T, hd] heads, with `maskBias` from causalMaskBias. One
 * VJP for the whole, recomputing the [H, T, T] probabilities P from q and k instead of keeping
 * them: dV = Pᵀ dy, dS = P ⊙ (dy Vᵀ − Σ_j (dy Vᵀ ⊙ P)) / √hd, dQ = dS K, dK = dSᵀ Q.
 */
export function causalAttention(g: Graph, q: Tensor, k: Tensor, v: Tensor, maskBias: Tensor): Tensor {
  const scale = g.scalar(1 / Math.sqrt(q.shape[2] as number), q.dtype);
  const swap = (t: Tensor) => op.transpose(g, t, [0, 2, 1]);
  const probabilities = (q: Tensor, k: Tensor) => op.softmax(g, op.add(g, op.mul(g, op.matmul(g, q, swap(k)), scale), maskBias));
  return g.composite([q, k, v], () => op.matmul(g, probabilities(q, k), v), (g, [q, k, v], _, [dy]) => {
    const p = probabilities(q, k);
    const dp = op.matmul(g, dy!, swap(v));
    const dScores = op.mul(g, op.mul(g, p, op.sub(g, dp, op.reduceSum(g, op.mul(g, dp, p), [2]))), scale);
    return [
      needs(q) ? op.matmul(g, dScores, k) : undefined,
      needs(k) ? op.matmul(g, swap(dScores), q) : undefined,
      needs(v) ? op.matmul(g, swap(p), dy!) : undefined,
    ];
  });
}

/**
 * cos and sin of position · θ^(−2k/n), [T, n/2], for the rows of `residual` (any T); n is the
 * rotated width of a head: head_dim, or GPT-NeoX's rotary_pct · head_dim.
 */
export function rotaryAngles(g: Graph, residual: Tensor, rotaryDims: number, theta: number): { cos: Tensor; sin: Tensor } {
  const inverseFrequencies = Array.from({ length: rotaryDims / 2 }, (_, k) => theta ** ((-2 * k) / rotaryDims));
  const seq = residual.shape[0];
  const positions = op.reshape(g, arange(g, dimOf(g, residual, 0), residual.dtype, seq), [seq, 1]);
  const angles = op.mul(g, positions, g.constant(inverseFrequencies, residual.dtype, [1, rotaryDims / 2]));
  return { cos: unaryPlain(g, 'Cos', angles), sin: unaryPlain(g, 'Sin', angles) };
}

/**
 * Rotates [H, T, hd] query/key heads. 'interleaved' (llama2.c) pairs element 2k with 2k+1;
 * 'rotate-half' (Hugging Face) pairs element k with k + hd/2. A rotation is linear in x and its
 * transpose is the rotation by −θ, so the VJP rotates dy back: one composite, no saved pieces.
 */
export function applyRotary(g: Graph, x: Tensor, cos: Tensor, sin: Tensor, style: 'interleaved' | 'rotate-half'): Tensor {
  return g.composite([x], () => rotate(g, x, cos, sin, style), (g, _, __, [dy]) => [rotate(g, dy!, cos, op.neg(g, sin), style)]);
}

/**
 * GPT-NeoX's partial rotary (rotary_pct): the first `rotaryDims` of each [H, T, hd] head are rotated
 * (cos and sin from rotaryAngles over rotaryDims), the rest pass through unchanged.
 */
export function applyPartialRotary(g: Graph, x: Tensor, cos: Tensor, sin: Tensor, style: 'interleaved' | 'rotate-half', rotaryDims: number): Tensor {
  const headDim = x.shape[2] as number;
  if (rotaryDims === headDim) return applyRotary(g, x, cos, sin, style);
  const [rotated, passed] = op.split(g, x, 2, [rotaryDims, headDim - rotaryDims]);
  return op.concat(g, [applyRotary(g, rotated, cos, sin, style), passed], 2);
}

function rotate(g: Graph, x: Tensor, cos: Tensor, sin: Tensor, style: 'interleaved' | 'rotate-half'): Tensor {
  const [heads, seq, headDim] = x.shape as [number, string, number];
  const half = headDim / 2;
  const pair = (a: Tensor, b: Tensor, c: Tensor, s: Tensor) => [
    op.sub(g, op.mul(g, a, c), op.mul(g, b, s)),
    op.add(g, op.mul(g, b, c), op.mul(g, a, s)),
  ];
  if (style === 'rotate-half') {
    const [a, b] = op.split(g, x, 2, [half, half]);
    return op.concat(g, pair(a, b, cos, sin), 2);
  }
  const pairs = op.reshape(g, x, [heads, seq, half, 2]);
  const [a, b] = op.split(g, pairs, 3, [1, 1]);
  const c = op.reshape(g, cos, [seq, half, 1]);
  const s = op.reshape(g, sin, [seq, half, 1]);
  return op.reshape(g, op.concat(g, pair(a, b, c, s), 3), [heads, seq, headDim]);
}
