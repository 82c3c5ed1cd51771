/** An AnalysisRequest checked against the model and given its defaults. */
import type { ModelConfig } from '../model/description';
import type { LossMode, Precision } from '../result/schema';
import { LOSS_MODES, PRECISIONS } from '../result/schema';
import type { AnalysisRequest } from './api';
import { InputError } from './lossPlan';
import { choiceProblem, topKProblem } from './options';
import type { LensVariant } from './sessionCache';

export interface ValidRequest {
  prompt: string;
  target: string;
  lossMode: LossMode;
  topK: number;
  lens: LensVariant;
  matmuls: Precision;
  vectors: boolean;
  /** The request's limit, at most the model's context. */
  maxTokens: number;
}

export function validateRequest(request: AnalysisRequest, config: Pick<ModelConfig, 'vocabSize' | 'contextLength'>): ValidRequest {
  const problem =
    choiceProblem('loss mode', request.lossMode, LOSS_MODES) ??
    topKProblem('top-k', request.topK, config.vocabSize) ??
    choiceProblem('projection', request.projection ?? 'float32', PRECISIONS) ??
    choiceProblem('matmuls', request.matmuls ?? 'float32', PRECISIONS);
  if (problem) throw new InputError(`${problem}.`);
  return {
    prompt: request.prompt,
    target: request.target,
    lossMode: request.lossMode,
    topK: request.topK,
    lens: { normalized: request.normalized ?? false, projection: request.projection ?? 'float32' },
    matmuls: request.matmuls ?? 'float32',
    vectors: request.vectors ?? false,
    maxTokens: Math.min(request.maxTokens ?? Infinity, config.contextLength),
  };
}
