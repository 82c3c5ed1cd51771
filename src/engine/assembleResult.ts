/** A BackwardLensResult from what an analysis computed: the plan, the gradient pass and the lens read-out. */
import type { ModelDescription } from '../model/description';
import type { BackwardLensResult, GradientCheck, LayerResult, LensRow, ModelInfo, NeuronView } from '../result/schema';
import { RESULT_SCHEMA } from '../result/schema';
import type { Floats, GradientPass } from './gradientPass';
import { frobeniusNorm, gradientRank } from './gradientRank';
import type { LensReadout } from './lensRuns';
import type { LossPlan } from './lossPlan';
import type { LiveSession } from './session';
import type { TokenTexts } from './tokenTexts';
import type { ValidRequest } from './validateRequest';

export interface AnalysisParts {
  model: ModelDescription;
  weightsSha256: string;
  request: ValidRequest;
  plan: LossPlan;
  gradients: GradientPass;
  lens: LensReadout;
  /** Where the analysis ran, as the lens session reports it. */
  ranOn: Pick<LiveSession, 'executionProvider' | 'executionProviderNote'>;
  timings: { compileMs: number; runMs: number };
  tokens: TokenTexts;
  neurons?: NeuronView;
  check?: GradientCheck;
}

export function assembleResult(parts: AnalysisParts): BackwardLensResult {
  const { request, plan, gradients, ranOn, tokens } = parts;
  return {
    schema: RESULT_SCHEMA,
    createdAt: new Date().toISOString(),
    model: modelInfo(parts.model, parts.weightsSha256),
    executionProvider: ranOn.executionProvider,
    ...(ranOn.executionProviderNote ? { executionProviderNote: ranOn.executionProviderNote } : {}),
    matmuls: request.matmuls,
    lossMode: request.lossMode,
    lens: { topK: request.topK, ...request.lens },
    prompt: request.prompt,
    target: request.lossMode === 'text' ? '' : request.target,
    tokens: plan.inputIds.map((id) => ({ id, text: tokens.text(id) })),
    targetIds: plan.lossTargetIds,
    targetTokens: plan.lossTargetIds.map((id) => ({ id, text: tokens.text(id) })),
    rankIds: plan.rankIds,
    lossWeights: plan.lossWeights,
    loss: gradients.loss,
    prediction: tokens.scored(gradients.predictionIds, gradients.predictionLogProbs),
    layers: Array.from({ length: parts.model.config.layers }, (_, layer) => layerResult(parts, layer)),
    timings: parts.timings,
    ...(parts.neurons ? { neurons: parts.neurons } : {}),
    ...(parts.check ? { check: parts.check } : {}),
  };
}

function modelInfo(model: ModelDescription, sha256: string): ModelInfo {
  const { config } = model;
  return {
    name: model.name,
    architecture: config.architecture,
    layers: config.layers,
    hiddenSize: config.hiddenSize,
    vocabSize: config.vocabSize,
    source: model.source,
    sha256,
  };
}

function layerResult(parts: AnalysisParts, layer: number): LayerResult {
  const T = parts.plan.inputIds.length;
  const gramOf = (grams: Floats) => grams.subarray(layer * T * T, (layer + 1) * T * T);
  const { ff1Input, ff1Vjp, ff2Input, ff2Vjp } = parts.gradients.grams;
  const [x, g1, h, d] = [ff1Input, ff1Vjp, ff2Input, ff2Vjp].map(gramOf);
  return {
    layer,
    ff1: lensRow(parts, 0, layer, parts.gradients.ff1Input),
    ff2: lensRow(parts, 1, layer, parts.gradients.ff2Vjp),
    gradNorm: { ff1: frobeniusNorm(g1, x), ff2: frobeniusNorm(d, h) },
    gradRank: { ff1: gradientRank(g1, x, T), ff2: gradientRank(d, h, T) },
  };
}

/** One layer's lens grid of FF1 (kind 0) or FF2 (kind 1) cells, with its raw vectors when asked. */
function lensRow(parts: AnalysisParts, kind: 0 | 1, layer: number, vectors: Floats): LensRow {
  const { lens, tokens, request } = parts;
  const T = parts.plan.inputIds.length;
  const k = request.topK;
  const first = (kind * parts.model.config.layers + layer) * T;
  const cells = Array.from({ length: T }, (_, i) => first + i);
  const row: LensRow = {
    norms: cells.map((c) => lens.norms[c]),
    top: cells.map((c) => tokens.scored(lens.topIds, lens.topLogProbs, c * k, k)),
    bottom: cells.map((c) => tokens.scored(lens.bottomIds, lens.bottomLogProbs, c * k, k)),
    targetRank: cells.map((c) => lens.ranks[c]),
  };
  if (request.vectors) row.vectors = positionVectors(vectors, layer, T, parts.model.config.hiddenSize);
  return row;
}

/** Layer `layer`'s T vectors of a layer-major [layers·T, width] output. */
function positionVectors(all: Floats, layer: number, T: number, width: number): number[][] {
  return Array.from({ length: T }, (_, i) => Array.from(all.subarray((layer * T + i) * width, (layer * T + i + 1) * width)));
}
