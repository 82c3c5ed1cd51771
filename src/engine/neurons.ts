/**
 * The neuron view: per layer, the N neurons whose gradient rows are largest in FF1 and in FF2,
 * their keys and values through the lens before and after one SGD step on the layer's MLP, and the
 * positions that contribute most. Neuron j's key gradient is Σ_i δ^FF1_i[j] x_i and its value
 * gradient Σ_i h_i[j] δ_i: both read from the rank-T factors, the [d × d_ff] gradient never formed.
 */
import type { ModelDescription } from '../model/description';
import { readWeightVectors } from '../model/weightValues';
import type { LayerNeurons, LensCell, Neuron, NeuronVector, NeuronView, PositionWeight } from '../result/schema';
import type { RunControl } from './api';
import type { Floats, GradientPass } from './gradientPass';
import { LensReadout, projectRows } from './lensRuns';
import { mlpGradients, OuterProductSum } from './mlpGradients';
import type { GraphSession } from './sessionCache';
import type { TokenTexts } from './tokenTexts';

/** How many contributing positions a vector reports. */
const POSITIONS_SHOWN = 5;

export interface NeuronViewParts {
  model: ModelDescription;
  /** A pass with factors. */
  gradients: GradientPass;
  T: number;
  lens: GraphSession;
  count: number;
  eta: number;
  topK: number;
  /** The token whose rank each projection reports: the first target. */
  rankId: number;
  tokens: TokenTexts;
}

/**
 * One weight's gradient seen neuron by neuron: neuron j's vector (in d-space) has gradient
 * Σ_i c_i[j] v_i, c = coefficients [T, d_ff], v = vectors [T, d] with Gram G = V Vᵀ.
 */
interface NeuronFactors {
  weight: OuterProductSum;
  coefficients: Floats;
  vectors: Floats;
  gram: Floats;
}

/** FF1 weights: key j's gradient is Σ_i δ^FF1_i[j] x_i; FF2: value j's is Σ_i h_i[j] δ_i. */
function neuronFactors(model: ModelDescription, gradients: GradientPass, T: number, layer: number): NeuronFactors[] {
  const gram = (grams: Floats) => grams.subarray(layer * T * T, (layer + 1) * T * T);
  return mlpGradients(model, gradients, T, layer).map((weight) =>
    weight.role === 'ff1'
      ? { weight, coefficients: weight.b, vectors: weight.a, gram: gram(gradients.grams.ff1Input) }
      : { weight, coefficients: weight.a, vectors: weight.b, gram: gram(gradients.grams.ff2Vjp) },
  );
}

/** ‖Σ_i c_i[j] v_i‖² = c[:, j]ᵀ G c[:, j] for every neuron j: O(T² d_ff), row by row so the reads stay contiguous. */
function gradientNormsSquared(f: NeuronFactors, T: number): Float64Array {
  const n = f.coefficients.length / T;
  const out = new Float64Array(n);
  for (let i = 0; i < T; i++) {
    const ci = f.coefficients.subarray(i * n, (i + 1) * n);
    for (let k = i; k < T; k++) {
      const weight = (k === i ? 1 : 2) * f.gram[i * T + k];
      if (weight === 0) continue;
      const ck = f.coefficients.subarray(k * n, (k + 1) * n);
      for (let j = 0; j < n; j++) out[j] += weight * ci[j] * ck[j];
    }
  }
  return out;
}

/** Neuron j's gradient vector Σ_i c_i[j] v_i, [d]. */
function gradientRow(f: NeuronFactors, T: number, j: number): Float64Array {
  const n = f.coefficients.length / T;
  const d = f.vectors.length / T;
  const row = new Float64Array(d);
  for (let i = 0; i < T; i++) {
    const c = f.coefficients[i * n + j];
    for (let k = 0; k < d; k++) row[k] += c * f.vectors[i * d + k];
  }
  return row;
}

/** The `count` neurons with the largest Σ of the given squared norms, largest first. */
function topNeurons(normsSquared: Float64Array[], count: number): number[] {
  const total = normsSquared.reduce((sum, norms) => sum.map((v, j) => v + norms[j]));
  return Array.from(total.keys()).sort((a, b) => total[b] - total[a] || a - b).slice(0, count);
}

export async function neuronView(parts: NeuronViewParts, control: RunControl = {}): Promise<NeuronView> {
  const layers = Array.from({ length: parts.model.config.layers }, (_, layer) => chooseNeurons(parts, layer));
  // Every vector before and after the step, through the lens in one go.
  const stepped = layers.flatMap((l) => [...l.vectors.values()].flat());
  const d = parts.model.config.hiddenSize;
  const stacked = new (parts.gradients.ff1Input.constructor as Float32ArrayConstructor)(stepped.length * 2 * d);
  stepped.forEach((v, r) => {
    stacked.set(v.before, 2 * r * d);
    stacked.set(v.after, (2 * r + 1) * d);
  });
  const rankIds = new BigInt64Array(stepped.length * 2).fill(BigInt(parts.rankId));
  const read = await projectRows(parts.lens, { vectors: stacked, width: d, rankIds, topK: parts.topK }, control);
  const cell = (row: number) => lensCell(read, row, parts.topK, parts.tokens);
  const projected = new Map(stepped.map((v, r): [SteppedVector, NeuronVector] => [v, { ...v.summary, before: cell(2 * r), after: cell(2 * r + 1) }]));
  return {
    count: parts.count,
    eta: parts.eta,
    layers: layers.map((l): LayerNeurons => {
      const neuron = (index: number): Neuron => {
        const vectors = l.vectors.get(index)!.map((v) => projected.get(v)!);
        return { index, keys: vectors.slice(0, -1), value: vectors[vectors.length - 1] };
      };
      return { layer: l.layer, ff1: l.ff1.map(neuron), ff2: l.ff2.map(neuron) };
    }),
  };
}

/** A layer's top neurons in FF1 and FF2, and each chosen neuron's vectors (keys, then value) with their steps. */
function chooseNeurons(parts: NeuronViewParts, layer: number) {
  const factors = neuronFactors(parts.model, parts.gradients, parts.T, layer);
  const norms = factors.map((f) => gradientNormsSquared(f, parts.T));
  const ff1 = topNeurons(norms.slice(0, -1), parts.count);
  const ff2 = topNeurons(norms.slice(-1), parts.count);
  const indices = [...new Set([...ff1, ...ff2])];
  const perWeight = factors.map((f, w) => neuronVectors(parts, f, norms[w], indices));
  const vectors = new Map(indices.map((index, n) => [index, perWeight.map((weightVectors) => weightVectors[n])]));
  return { layer, ff1, ff2, vectors };
}

interface SteppedVector {
  summary: Omit<NeuronVector, 'before' | 'after'>;
  before: Float32Array;
  /** before − η · its gradient. */
  after: Float64Array;
}

/** The neurons' vectors of one weight, read from the model file, and their SGD steps. */
function neuronVectors(parts: NeuronViewParts, f: NeuronFactors, normsSquared: Float64Array, indices: number[]): SteppedVector[] {
  const ref = parts.model.weights[f.weight.weight];
  // The d_ff axis as stored: FF1's out axis, FF2's in axis; Llama stores [out, in], GPT-2 [in, out].
  const neuronAxisIsIn = f.weight.role === 'ff2';
  const storedAxis = (parts.model.config.architecture === 'gpt2') === neuronAxisIsIn ? 0 : 1;
  const weights = readWeightVectors(ref, indices, storedAxis);
  const vectorNorms = Array.from({ length: parts.T }, (_, i) => Math.sqrt(Math.max(f.gram[i * parts.T + i], 0)));
  return indices.map((j, n) => {
    const gradient = gradientRow(f, parts.T, j);
    return {
      summary: { weight: f.weight.weight, gradNorm: Math.sqrt(Math.max(normsSquared[j], 0)), positions: largestTerms(f, parts.T, j, vectorNorms) },
      before: weights[n],
      after: Float64Array.from(weights[n], (v, k) => v - parts.eta * gradient[k]),
    };
  });
}

/** c_i[j] · ‖v_i‖ by position, the largest |weight| first. */
function largestTerms(f: NeuronFactors, T: number, j: number, vectorNorms: number[]): PositionWeight[] {
  const n = f.coefficients.length / T;
  return vectorNorms
    .map((norm, position) => ({ position, weight: f.coefficients[position * n + j] * norm }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, POSITIONS_SHOWN);
}

function lensCell(read: LensReadout, row: number, k: number, tokens: TokenTexts): LensCell {
  return {
    norm: read.norms[row],
    top: tokens.scored(read.topIds, read.topLogProbs, row * k, k),
    bottom: tokens.scored(read.bottomIds, read.bottomLogProbs, row * k, k),
    targetRank: read.ranks[row],
  };
}

