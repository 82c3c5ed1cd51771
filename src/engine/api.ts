/**
 * What the engine offers its front ends (CLI, extension host, bench). Requests, results and
 * progress are plain data: no closures, no onnxruntime types, so the engine can run behind a
 * worker-thread or child-process boundary. The only non-data is RunControl, which a boundary
 * turns into messages (cancel in, progress out).
 */
import { MAX_LENS_TOP_K } from '../graph/backwardLensGraph';
import type { MemoryPlan } from './memoryPlan';
import type { BackwardLensResult, LossMode, ScoredToken, ExecutionProviderName, Precision, TokenInfo } from '../result/schema';

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
  /** Add the neuron view: this many neurons per layer with the largest FF1 and FF2 gradient rows (result.neurons). */
  neurons?: number;
  /** The SGD step of the neuron view's "after" projections; default 1. */
  eta?: number;
  /** Add the gradient check: ⟨∇W, E⟩ from the factors against finite differences, per layer (result.check). */
  check?: boolean;
}

export const EDIT_METHODS = ['forward-shift', 'sgd'] as const;
/** forward-shift: W_out ← W_out + η h_nᵀ e_t at each layer; sgd: W ← W − η ∇W on each layer's MLP weights. */
export type EditMethod = (typeof EDIT_METHODS)[number];

/** The loss modes an edit toward a target can take its gradient from. */
export const EDIT_LOSS_MODES = ['paper', 'continuation'] as const;
export type EditLossMode = (typeof EDIT_LOSS_MODES)[number];

/** An edit applied in memory only, through update inputs of the forward graph: the model's weights stay as they are. */
export interface EditRequest {
  prompt: string;
  target: string;
  method: EditMethod;
  layers: number[];
  eta: number;
  /** Other prompts on which to see what the edit does to the target. */
  neighbours?: string[];
  /** Default 5. */
  topK?: number;
  /** The loss whose gradient an sgd edit descends; default paper. */
  lossMode?: EditLossMode;
  matmuls?: Precision;
  maxTokens?: number;
}

/** The next-token distribution at a prompt's last position, read out. */
export interface NextTokenReadout {
  /** p(the target's first token). */
  targetProb: number;
  /** Tokens with a strictly higher probability than the target's first token (0: it is the argmax). */
  targetRank: number;
  top: ScoredToken[];
}

export interface PromptEdit {
  prompt: string;
  before: NextTokenReadout;
  after: NextTokenReadout;
}

/** A forward shift's direct change of the target logit through layer ℓ's FF2 output: measured, and the paper's η‖h_n‖²‖e_t‖². */
export interface LogitShift {
  layer: number;
  measured: number;
  predicted: number;
}

export interface EditResult {
  method: EditMethod;
  layers: number[];
  eta: number;
  /** The ids the loss is taken on; readouts report the first. */
  targetIds: number[];
  targetTokens: TokenInfo[];
  /** The prompt first, then the neighbours. */
  prompts: PromptEdit[];
  /** The edited prompt's loss, before and after. */
  loss: { before: number; after: number };
  /** Whether leaving the update out gave back the original logits bit for bit. */
  reverted: boolean;
  /** Why nothing was applied (a forward shift toward the argmax); after then equals before. */
  skipped?: string;
  /** forward-shift only, one per layer. */
  shifts?: LogitShift[];
}

/** Per layer, the smallest η of a grid whose edit at that layer alone makes the target the argmax. */
export interface EditSweepRequest extends Omit<EditRequest, 'layers' | 'eta' | 'neighbours'> {
  /** Default: every layer. */
  layers?: number[];
  etas: number[];
}

export interface EditSweepResult {
  method: EditMethod;
  /** The grid, ascending. */
  etas: number[];
  targetIds: number[];
  targetTokens: TokenInfo[];
  before: NextTokenReadout;
  /** Why no layer was tried: the target already is the argmax. */
  skipped?: string;
  /** smallestEta null: no η of the grid made the target the argmax at that layer; after: the readout at smallestEta. */
  layers: { layer: number; smallestEta: number | null; after?: NextTokenReadout }[];
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
  countTokens(text: string): Promise<number>;
  /** What an analysis of `tokens` tokens would need in memory, and what is free (see memoryPlan.ts). */
  memoryPlan(tokens: number, matmuls?: Precision): Promise<MemoryPlan>;
  analyze(request: AnalysisRequest, control?: RunControl): Promise<BackwardLensResult>;
  /** The model's top-k next tokens after `prompt` (used to pre-fill the target box). */
  predictNext(prompt: string, k: number): Promise<ScoredToken[]>;
  /** Next-token read-outs before and after an in-memory edit of the MLP weights. */
  edit(request: EditRequest, control?: RunControl): Promise<EditResult>;
  /** Per layer, the smallest η of a grid at which the edit makes the target the argmax. */
  sweepEdit(request: EditSweepRequest, control?: RunControl): Promise<EditSweepResult>;
  dispose(): Promise<void>;
}
