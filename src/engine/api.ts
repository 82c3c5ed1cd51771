/**
 * What the engine offers its front ends (CLI, extension host, bench). Requests, results and
 * progress are plain data: no closures, no onnxruntime types, so the engine can run behind a
 * worker-thread or child-process boundary. The only non-data is RunControl, which a boundary
 * turns into messages (cancel in, progress out).
 */
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
}

/** One step of a long piece of work, as a front end reports it. */
export interface ProgressStep {
  stage: 'compile' | 'gradient' | 'lens';
  /** For steps done in parts (the lens's blocks of rows): parts done so far, and of how many. */
  done?: number;
  total?: number;
}

/** How a caller steers one call: cancel it, and hear how far it got. */
export interface RunControl {
  /** Aborting stops the work at its next step (between lens blocks); it then rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (step: ProgressStep) => void;
}

/** A one-line account of what the engine did and why (compile times, provider decisions), for a log. */
export type EngineLog = (line: string) => void;

/** A loaded model with live onnxruntime sessions; reuse it across analyses. */
export interface Engine {
  readonly modelName: string;
  readonly executionProvider: ExecutionProviderName;
  readonly executionProviderNote: string | undefined;
  /** The most input positions the model reads (BOS included); a request's maxTokens is capped by it. */
  readonly contextLength: number;
  /** How many input positions `text` becomes as a prompt (BOS included), to check its length before asking for a target. */
  countTokens(text: string): number;
  analyze(request: AnalysisRequest, control?: RunControl): Promise<BackwardLensResult>;
  /** The model's top-k next tokens after `prompt` (used to pre-fill the target box). */
  predictNext(prompt: string, k: number): Promise<ScoredToken[]>;
  dispose(): Promise<void>;
}
