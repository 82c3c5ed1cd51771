/**
 * The correctness check, per layer and MLP matrix: ⟨∇W, E⟩ along a random rank-1 direction
 * E = u vᵀ from the factors, Σ_i (a_i·u)(b_i·v), against the central difference
 * (L(W + εE) − L(W − εE)) / 2ε of two forward passes that feed ±εE through the edit graph's
 * update inputs. Llama's gate and up are one fused FF1 [d, 2·d_ff]: v spans both.
 */
import type { ModelDescription } from '../model/description';
import type { DirectionalCheck, GradientCheck } from '../result/schema';
import type { RunControl } from './api';
import { LowRankFactors, runEdited } from './editRuns';
import type { GradientPass } from './gradientPass';
import type { LossPlan } from './lossPlan';
import { mlpGradients, OuterProductSum } from './mlpGradients';
import type { GraphSession } from './sessionCache';
import { dot } from './vectors';

const CHECK_SEED = 1;

/**
 * ε is set so that the layer's largest output change, ε·max_i |a_i·u| (‖v‖ = 1), is this; one ε
 * for all layers missed by up to 10⁻². Over six prompts (stories260K, tiny GPT-2 and Llama) the
 * worst relative error was 8·10⁻⁴ at 0.01 (float32 rounding of L(W ± εE)), 7.5·10⁻⁴ at 0.02 and
 * 10⁻³ at 0.03 (the O(ε²) term).
 */
const CHECK_OUTPUT_CHANGE = 0.02;

export interface CheckParts {
  model: ModelDescription;
  /** A pass with factors. */
  gradients: GradientPass;
  plan: LossPlan;
  edit: GraphSession;
}

export async function gradientCheck(parts: CheckParts, control: RunControl = {}): Promise<GradientCheck> {
  const normal = seededNormal(CHECK_SEED);
  const T = parts.plan.inputIds.length;
  const layers = [];
  for (let layer = 0; layer < parts.model.config.layers; layer++) {
    const gradients = mlpGradients(parts.model, parts.gradients, T, layer);
    const along = (role: OuterProductSum['role']) => checkAlong(parts, gradients.filter((w) => w.role === role), normal, control);
    layers.push({ layer, ff1: await along('ff1'), ff2: await along('ff2') });
  }
  return { seed: CHECK_SEED, layers };
}

/**
 * One direction E = u vᵀ on weights that read the same input (one FF1, or Llama's gate and up as
 * one). u and v are half a Gaussian vector, half a Gaussian combination of the factors' rows with
 * the same coefficients: a fully random E is nearly orthogonal to a rank-T gradient, and then
 * ⟨∇W, E⟩ drowns in the float32 rounding of L(W ± εE).
 */
async function checkAlong(parts: CheckParts, weights: OuterProductSum[], normal: () => number, control: RunControl): Promise<DirectionalCheck> {
  const { a, inFeatures, outFeatures } = weights[0];
  const T = a.length / inFeatures;
  const coefficients = Float64Array.from({ length: T }, normal);
  const u = halfInSpan(Float64Array.from({ length: inFeatures }, normal), combination(a, coefficients, inFeatures));
  const outputSide = new Float64Array(outFeatures * weights.length);
  weights.forEach((w, k) => outputSide.set(combination(w.b, coefficients, outFeatures), k * outFeatures));
  const v = halfInSpan(Float64Array.from(outputSide, normal), outputSide);
  const pieces = weights.map((_, k) => v.subarray(k * outFeatures, (k + 1) * outFeatures));
  const fromFactors = weights.reduce((sum, w, k) => sum + directional(w, u, pieces[k]), 0);
  let largestInput = 0;
  for (let i = 0; i < T; i++) largestInput = Math.max(largestInput, Math.abs(dot(a.subarray(i * inFeatures, (i + 1) * inFeatures), u)));
  const epsilon = CHECK_OUTPUT_CHANGE / largestInput;
  const lossAt = async (step: number) => {
    control.signal?.throwIfAborted();
    const updates = new Map(weights.map((w, k): [string, LowRankFactors] => [w.weight, { rank: 1, p: Float32Array.from(u, (x) => x * step), q: Float32Array.from(pieces[k]) }]));
    return (await runEdited(parts.edit, parts.model, parts.plan, updates)).loss;
  };
  const finiteDifference = ((await lossAt(epsilon)) - (await lossAt(-epsilon))) / (2 * epsilon);
  const scale = Math.max(Math.abs(fromFactors), Math.abs(finiteDifference));
  return { fromFactors, finiteDifference, relativeError: scale === 0 ? 0 : Math.abs(fromFactors - finiteDifference) / scale, epsilon };
}

/** ⟨Σ_i a_iᵀ b_i, u vᵀ⟩ = Σ_i (a_i·u)(b_i·v): O(T·(in + out)). */
function directional(w: OuterProductSum, u: ArrayLike<number>, v: ArrayLike<number>): number {
  const T = w.a.length / w.inFeatures;
  let sum = 0;
  for (let i = 0; i < T; i++) {
    sum += dot(w.a.subarray(i * w.inFeatures, (i + 1) * w.inFeatures), u) * dot(w.b.subarray(i * w.outFeatures, (i + 1) * w.outFeatures), v);
  }
  return sum;
}

/** Σ_i c_i f_i over the rows f_i of a [T, width] factor. */
function combination(factor: ArrayLike<number>, c: Float64Array, width: number): Float64Array {
  const out = new Float64Array(width);
  c.forEach((ci, i) => {
    for (let k = 0; k < width; k++) out[k] += ci * factor[i * width + k];
  });
  return out;
}

function halfInSpan(random: Float64Array, inSpan: Float64Array): Float64Array {
  const [r, s] = [unit(random), unit(inSpan)];
  return unit(r.map((x, k) => x + s[k]));
}

function unit(x: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(x, x));
  return x.map((v) => v / norm);
}

/** Standard normal draws (Box–Muller over a 32-bit LCG): the same directions for the same seed, everywhere. */
function seededNormal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
