/**
 * The one place an `AnalysisRequest` is put together, for a new analysis (from the settings)
 * and for a re-run (from the result being re-run). No VS Code import, so it is unit-tested.
 */
import * as path from 'node:path';
import type { AnalysisRequest } from '../engine/api';
import { resultWithEdits } from '../result/savedEdits';
import type { BackwardLensResult } from '../result/schema';
import { RESULT_LIMITS } from '../result/validate';

/** What is analysed: the text, its target and the loss. */
export type Probe = Pick<AnalysisRequest, 'prompt' | 'target' | 'lossMode' | 'normalized'>;

/** How it is analysed: the settings, or for a re-run the result's own choices. */
export type LensOptions = Pick<AnalysisRequest, 'topK' | 'projection' | 'matmuls' | 'maxTokens'>;

/** The token limit is at most what a result may hold, so every result can be saved and opened again. */
export function analysisRequest(options: LensOptions, probe: Probe): AnalysisRequest {
  const maxTokens = Math.min(options.maxTokens ?? RESULT_LIMITS.tokens, RESULT_LIMITS.tokens);
  return { ...probe, topK: options.topK, projection: options.projection, matmuls: options.matmuls, maxTokens };
}

/** Whether `result` came from `activeModel` (the resolved model setting): the engine reports the weight file, the setting may name its folder. */
export function isFromModel(result: BackwardLensResult, activeModel: string): boolean {
  const source = path.resolve(result.model.source);
  return source === activeModel || path.dirname(source) === activeModel;
}

/** The paper's experiments a request can add: the neuron view and the gradient check. */
export type Experiments = Pick<AnalysisRequest, 'neurons' | 'eta' | 'check'>;

/** The experiments `result` has, as a re-run asks for them again. */
export function resultExperiments(result: BackwardLensResult): Experiments {
  return {
    ...(result.neurons ? { neurons: result.neurons.count, eta: result.neurons.eta } : {}),
    ...(result.check ? { check: true } : {}),
  };
}

/**
 * The same analysis as `result`, lens normalized or not, with the experiments it has and `added`. It keeps the result's own top-k and
 * precisions, not today's settings, so only the lens changes; only the token limit is current.
 * Refused when `activeModel` (the resolved model setting) is not the model the result came from.
 */
export function rerunRequest(result: BackwardLensResult, normalized: boolean, activeModel: string, maxTokens: number, added: Experiments = {}): AnalysisRequest {
  if (!isFromModel(result, activeModel)) {
    throw new Error(`This result came from ${result.model.source}; the active model is ${activeModel}. Select that model to re-run it.`);
  }
  const request = analysisRequest(
    { topK: result.lens.topK, projection: result.lens.projection, matmuls: result.matmuls, maxTokens },
    { prompt: result.prompt, target: result.target, lossMode: result.lossMode, normalized },
  );
  return { ...request, ...resultExperiments(result), ...added };
}

/**
 * A re-run's result, with the edit previews and sweeps of the result it re-ran: they depend on the model,
 * prompt, target, loss and precisions, which a re-run keeps, not on the lens or the experiments it changes.
 */
export function rerunResult(rerun: BackwardLensResult, shown: BackwardLensResult): BackwardLensResult {
  return resultWithEdits(rerun, shown.edits);
}
