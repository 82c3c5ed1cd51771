/**
 * An AnalysisRequest checked against the model and given its defaults. A request may come from
 * across a process boundary, so properties the engine does not know (a misspelling, an option of
 * another version) are refused by name rather than silently ignored.
 */
import type { ModelConfig } from '../model/description';
import { DEFAULT_NEURON_ETA } from '../result/experiments';
import type { LossMode, Precision } from '../result/schema';
import { LOSS_MODES, PRECISIONS } from '../result/schema';
import type { AnalysisRequest } from './api';
import { InputError } from './lossPlan';
import { choiceList, choiceProblem, positiveProblem, topKProblem, wholeNumberProblem } from './options';
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
  /** 0: no neuron view. */
  neurons: number;
  eta: number;
  check: boolean;
}

/** Every property a request may have; typed so that the compiler keeps it equal to AnalysisRequest's. */
const REQUEST_PROPERTIES: Record<keyof AnalysisRequest, true> = {
  neurons: true,
  eta: true,
  check: true,
  prompt: true,
  target: true,
  lossMode: true,
  topK: true,
  normalized: true,
  projection: true,
  matmuls: true,
  vectors: true,
  maxTokens: true,
};

export function validateRequest(request: AnalysisRequest, config: Pick<ModelConfig, 'vocabSize' | 'contextLength' | 'intermediateSize'>): ValidRequest {
  const problem =
    unknownPropertiesProblem(request, REQUEST_PROPERTIES) ??
    choiceProblem('loss mode', request.lossMode, LOSS_MODES) ??
    topKProblem('top-k', request.topK, config.vocabSize) ??
    choiceProblem('projection', request.projection ?? 'float32', PRECISIONS) ??
    choiceProblem('matmuls', request.matmuls ?? 'float32', PRECISIONS) ??
    wholeNumberProblem('neurons', request.neurons ?? 0, 0, config.intermediateSize) ??
    positiveProblem('eta', request.eta ?? DEFAULT_NEURON_ETA);
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
    neurons: request.neurons ?? 0,
    eta: request.eta ?? DEFAULT_NEURON_ETA,
    check: request.check ?? false,
  };
}

/** Names the properties of `request` that `properties` does not list, and the ones it does. */
export function unknownPropertiesProblem(request: object, properties: Record<string, true>): string | undefined {
  const allowed = Object.keys(properties);
  const unknown = Object.keys(request).filter((name) => !allowed.includes(name));
  if (unknown.length === 0) return undefined;
  const named = unknown.map((name) => JSON.stringify(name)).join(', ');
  return `the request has unknown ${unknown.length === 1 ? 'property' : 'properties'} ${named}; a request may have ${choiceList(allowed)}`;
}
