/**
 * The `*.blens.json` result format (schema "backward-lens/1"): what the engine returns, the
 * panel shows and the extension saves. Plain data only, so every stage can pass it on as is.
 */
export const RESULT_SCHEMA = 'backward-lens/1';

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
  architecture: 'llama' | 'gpt2';
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
  schema: typeof RESULT_SCHEMA;
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
}
