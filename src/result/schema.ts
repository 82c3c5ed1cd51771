/**
 * The `*.blens.json` result format: what the engine returns, the panel shows and the extension
 * saves. Plain data only, so every stage can pass it on as is. "backward-lens/2" adds the
 * optional neuron view, gradient check and edit previews, and GPT-NeoX models; "backward-lens/1"
 * files (without them) still open.
 */
import type { EditResult, EditSweepResult } from '../engine/api';

export const RESULT_SCHEMA = 'backward-lens/2';
export const RESULT_SCHEMAS = ['backward-lens/1', RESULT_SCHEMA] as const;

export const LOSS_MODES = ['paper', 'continuation', 'text'] as const;
export type LossMode = (typeof LOSS_MODES)[number];
export type ExecutionProviderName = 'cpu' | 'cuda';

export interface TokenInfo {
  id: number;
  text: string;
}

export interface ScoredToken extends TokenInfo {
  prob: number;
}

/** One lens grid (FF1 inputs x_i, or FF2 VJPs δ_i) of one layer: one entry per input position. */
export interface LensRow {
  /** ‖v_i‖₂ of the raw vector (before any lens normalisation). */
  norms: number[];
  /** Top-k tokens of LL(v_i) = softmax(ln_f(v_i) · D), most probable first. */
  top: ScoredToken[][];
  /** Bottom-k tokens of LL(v_i), least probable first (what a descent step writes, for δ). */
  bottom: ScoredToken[][];
  /**
   * Rank of the position's rank token in LL(v_i): the number of other tokens with a strictly higher
   * logit (float32; a token tied with it to within rounding may count either way).
   */
  targetRank: number[];
  /** Only with `--vectors`: the raw vectors, [positions][hidden]. */
  vectors?: number[][];
}

/** One vector's lens read-out: a LensRow's entries for one position. */
export interface LensCell {
  norm: number;
  top: ScoredToken[];
  bottom: ScoredToken[];
  /** Rank of the result's first target token (tokens with a strictly higher logit). */
  targetRank: number;
}

export interface PositionWeight {
  position: number;
  weight: number;
}

/** One of a neuron's weight vectors in d-space (a key of FF1, its value in FF2), before and after one SGD step on the layer's MLP. */
export interface NeuronVector {
  /** The weight it is a row or column of, by Hugging Face name. */
  weight: string;
  /** ‖its gradient‖: ‖Σ_i δ^FF1_i[j] x_i‖ for a key, ‖Σ_i h_i[j] δ_i‖ for a value. */
  gradNorm: number;
  before: LensCell;
  /** After W ← W − η ∇W. */
  after: LensCell;
  /** The positions with the largest terms in that gradient, δ^FF1_i[j]·‖x_i‖ (key) or h_i[j]·‖δ_i‖ (value), by |weight|. */
  positions: PositionWeight[];
}

export interface Neuron {
  /** Its index among the layer's d_ff neurons. */
  index: number;
  /** Its FF1 weight vectors: GPT-2 c_fc; Llama gate_proj then up_proj; GPT-NeoX dense_h_to_4h. */
  keys: NeuronVector[];
  /** Its FF2 weight vector: c_proj / down_proj / dense_4h_to_h. */
  value: NeuronVector;
}

export interface LayerNeurons {
  layer: number;
  /** The neurons with the largest FF1 gradient rows (over all their keys), largest first. */
  ff1: Neuron[];
  /** The neurons with the largest FF2 gradient rows, largest first. */
  ff2: Neuron[];
}

export interface NeuronView {
  /** Neurons per list and layer. */
  count: number;
  /** The SGD step size of the "after" projections. */
  eta: number;
  layers: LayerNeurons[];
}

/** ⟨∇W, E⟩ along one direction E = u vᵀ: from the factors, and from two forward passes. */
export interface DirectionalCheck {
  /** Σ_i (a_i·u)(b_i·v) for ∇W = Σ_i a_iᵀ b_i. */
  fromFactors: number;
  /** (L(W + εE) − L(W − εE)) / 2ε. */
  finiteDifference: number;
  /** |fromFactors − finiteDifference| / max(|fromFactors|, |finiteDifference|). */
  relativeError: number;
  epsilon: number;
}

export interface LayerCheck {
  layer: number;
  /** E on the (fused) FF1 weight, and on the FF2 weight. */
  ff1: DirectionalCheck;
  ff2: DirectionalCheck;
}

export interface GradientCheck {
  /** u and v are unit Gaussian vectors drawn from this seed. */
  seed: number;
  layers: LayerCheck[];
}

export interface LayerResult {
  layer: number;
  /** x_i: the FF1 input (post-norm residual). */
  ff1: LensRow;
  /** δ_i = dL/d(FF2 output). */
  ff2: LensRow;
  /** Frobenius norms of ∇W_FF1 = Σ_i (FF1 VJP)_i x_iᵀ and ∇W_FF2 = Σ_i δ_i h_iᵀ. */
  gradNorm: { ff1: number; ff2: number };
  /** Numerical ranks of those gradients, from the n×n Gram matrices of their factors. */
  gradRank: { ff1: number; ff2: number };
}

export interface ModelInfo {
  name: string;
  /** gpt-neox: backward-lens/2 only. */
  architecture: 'llama' | 'gpt2' | 'gpt-neox';
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  /** The folder or file the model was loaded from. */
  source: string;
  /** sha256 of the weight file(s), hex; several files are hashed in order, concatenated. */
  sha256: string;
}

export interface LensSettings {
  topK: number;
  /** L2-normalise each vector before the lens (the paper's optional variant); default false. */
  normalized: boolean;
  /**
   * Precision of the vocabulary projection: float32 (exact, the default; absent in older files)
   * or float16 (vectors and unembedding rounded to half precision for GPU tensor cores).
   */
  projection?: Precision;
}

export const PRECISIONS = ['float32', 'float16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface BackwardLensResult {
  schema: (typeof RESULT_SCHEMAS)[number];
  /** ISO time of the analysis. */
  createdAt: string;
  model: ModelInfo;
  executionProvider: ExecutionProviderName;
  /** Why CUDA did not run, when it did not (absent when it ran, or was not asked for). */
  executionProviderNote?: string;
  /**
   * Precision of the transformer blocks' weight matmuls in the forward and backward passes:
   * float32 (the default; absent in older files) or float16 (operands rounded to half precision
   * for GPU tensor cores; the LM head, norms and attention scores stay float32).
   */
  matmuls?: Precision;
  lossMode: LossMode;
  lens: LensSettings;
  prompt: string;
  target: string;
  /** The graph's input positions, BOS included when the model uses one. */
  tokens: TokenInfo[];
  /** Ids the loss is taken on, in order. */
  targetIds: number[];
  /** The same tokens with their text (the paper mode scores only the first target token). */
  targetTokens: TokenInfo[];
  /** For each input position, the token whose rank `targetRank` reports. */
  rankIds: number[];
  /** For each input position, its weight in the loss (0 where the position carries no loss term). */
  lossWeights: number[];
  loss: number;
  /** The model's top-k next tokens at the last prompt position. */
  prediction: ScoredToken[];
  layers: LayerResult[];
  /**
   * compileMs: how long this analysis waited for graph compilation and session start (about 0
   * once the model's sessions are live); runMs: the forward, backward and lens runs.
   */
  timings: { compileMs: number; runMs: number };
  /** backward-lens/2, when asked: each layer's neurons with the largest gradients. */
  neurons?: NeuronView;
  /** backward-lens/2, when asked: the factors' gradient against finite differences, per layer. */
  check?: GradientCheck;
  /** backward-lens/2, when run in the panel: the edit previews and sweeps of this result, oldest first. */
  edits?: SavedEdits;
}

/** Edits run from a result: in memory only, so the model's weights were never changed. */
export interface SavedEdits {
  previews: EditResult[];
  sweeps: EditSweepResult[];
}
