/**
 * Edit and sweep requests checked against the model and given their defaults. Like analysis
 * requests they may come across a process boundary, so unknown properties are refused by name.
 */
import type { ModelConfig } from '../model/description';
import { PRECISIONS, type Precision } from '../result/schema';
import { EDIT_LOSS_MODES, EDIT_METHODS, type EditLossMode, type EditMethod, type EditRequest, type EditSweepRequest } from './api';
import { InputError } from './lossPlan';
import { choiceProblem, positiveProblem, topKProblem } from './options';
import { unknownPropertiesProblem } from './validateRequest';

export interface ValidEdit {
  prompt: string;
  target: string;
  method: EditMethod;
  layers: number[];
  /** The edit's one η, or the sweep's grid, ascending. */
  etas: number[];
  neighbours: string[];
  topK: number;
  lossMode: EditLossMode;
  matmuls: Precision;
  maxTokens: number;
}

const EDIT_PROPERTIES: Record<keyof EditRequest, true> = {
  prompt: true, target: true, method: true, layers: true, eta: true, neighbours: true, topK: true, lossMode: true, matmuls: true, maxTokens: true,
};

const SWEEP_PROPERTIES: Record<keyof EditSweepRequest, true> = {
  prompt: true, target: true, method: true, layers: true, etas: true, topK: true, lossMode: true, matmuls: true, maxTokens: true,
};

type EditConfig = Pick<ModelConfig, 'layers' | 'vocabSize' | 'contextLength'>;

export function validateEdit(request: EditRequest, config: EditConfig): ValidEdit {
  const problem = unknownPropertiesProblem(request, EDIT_PROPERTIES) ?? positiveProblem('eta', request.eta) ?? neighboursProblem(request.neighbours ?? []);
  if (problem) throw new InputError(`${problem}.`);
  return validCommon(request, request.layers, [request.eta], request.neighbours ?? [], config);
}

export function validateSweep(request: EditSweepRequest, config: EditConfig): ValidEdit {
  const etas = request.etas;
  const problem =
    unknownPropertiesProblem(request, SWEEP_PROPERTIES) ??
    (Array.isArray(etas) && etas.length > 0 ? etas.map((eta) => positiveProblem('every eta of the grid', eta)).find(Boolean) : `the eta grid must list at least one positive number, not ${JSON.stringify(etas)}`);
  if (problem) throw new InputError(`${problem}.`);
  const everyLayer = Array.from({ length: config.layers }, (_, layer) => layer);
  return validCommon(request, request.layers ?? everyLayer, [...etas].sort((a, b) => a - b), [], config);
}

function validCommon(request: Omit<EditSweepRequest, 'layers' | 'etas'>, layers: unknown, etas: number[], neighbours: string[], config: EditConfig): ValidEdit {
  const problem =
    choiceProblem('method', request.method, EDIT_METHODS) ??
    layersProblem(layers, config.layers) ??
    topKProblem('top-k', request.topK ?? 5, config.vocabSize) ??
    choiceProblem('loss mode', request.lossMode ?? 'paper', EDIT_LOSS_MODES) ??
    choiceProblem('matmuls', request.matmuls ?? 'float32', PRECISIONS);
  if (problem) throw new InputError(`${problem}.`);
  return {
    prompt: request.prompt,
    target: request.target,
    method: request.method,
    layers: layers as number[],
    etas,
    neighbours,
    topK: request.topK ?? 5,
    lossMode: request.lossMode ?? 'paper',
    matmuls: request.matmuls ?? 'float32',
    maxTokens: Math.min(request.maxTokens ?? Infinity, config.contextLength),
  };
}

function layersProblem(layers: unknown, count: number): string | undefined {
  const valid = Array.isArray(layers) && layers.length > 0 && layers.every((l) => Number.isInteger(l) && l >= 0 && l < count) && new Set(layers).size === layers.length;
  return valid ? undefined : `layers must be distinct whole numbers from 0 to ${count - 1} (the model has ${count}), not ${JSON.stringify(layers)}`;
}

function neighboursProblem(neighbours: unknown): string | undefined {
  const valid = Array.isArray(neighbours) && neighbours.every((p) => typeof p === 'string' && p.trim() !== '');
  return valid ? undefined : `neighbour prompts must be non-empty texts, not ${JSON.stringify(neighbours)}`;
}
