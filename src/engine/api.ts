import { MAX_LENS_TOP_K } from '../graph/backwardLensGraph';
import type { BackwardLensResult, LossMode, ScoredToken, ExecutionProviderName, Precision } from '../result/schema';

export const EXECUTION_PROVIDER_CHOICES = ['auto', 'cpu', 'cuda'] as const;
export type ExecutionProviderChoice = (typeof EXECUTION_PROVIDER_CHOICES)[number];

/** How many top and bottom tokens a lens cell may report (at most the vocabulary). */
export const TOP_K_RANGE = { min: 1, max: MAX_LENS_TOP_K } as const;

export interface EngineOptions {
  executionProvider?: ExecutionProviderChoice;
  /** Where compiled graphs are cached; defaults to `~/.cache/backward-lens`. */
  cacheDir?: string;
  /** Timings and provider decisions, one line each. */
  log?: (line: string) => void;
}

export interface AnalysisRequest {
  /** The prompt (or, in `text` mode, the training text itself). */
  prompt: string;
  /** The target continuation; ignored in `text` mode. */
  target: string;
  lossMode: LossMode;
  topK: number;
  normalized?: boolean;
  /** float16 rounds the lens's vectors and unembedding to half precision: faster on GPUs, approximate; default float32. */
  projection?: Precision;
  /**
   * float16 multiplies the transformer blocks' weights and activations in half precision (GPU
   * tensor cores; each row scaled to its largest magnitude first): faster on GPUs, approximate;
   * the LM head, norms and attention scores stay float32. Default float32.
   */
  matmuls?: Precision;
  vectors?: boolean;
  /** Refuse prompts longer than this many tokens (defaults to the model's context). */
  maxTokens?: number;
  /** Aborting stops the analysis at its next step (between lens blocks); it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A loaded model with a live onnxruntime session; reuse it across analyses. */
export interface Engine {
  readonly modelName: string;
  readonly executionProvider: ExecutionProviderName;
  readonly executionProviderNote: string | undefined;
  analyze(request: AnalysisRequest): Promise<BackwardLensResult>;
  /** The model's top-k next tokens after `prompt` (used to pre-fill the target box). */
  predictNext(prompt: string, k: number): Promise<ScoredToken[]>;
  dispose(): Promise<void>;
}
