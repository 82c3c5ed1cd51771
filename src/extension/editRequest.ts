/**
 * The engine's edit and sweep requests for a page's choice, on the result it shows: that
 * result's prompt, target, loss and precision, refused where the result cannot be edited (a
 * training-text analysis, or another model than the active one). No VS Code import, so it is unit-tested.
 */
import type { EditLossMode, EditRequest, EditSweepRequest } from '../engine/api';
import type { EditChoice, SweepChoice } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { isFromModel } from './analysisRequest';

/** What edits read out at each prompt: as many tokens as the CLI shows. */
export const EDIT_TOP_K = 5;

type Common = Pick<EditRequest, 'prompt' | 'target' | 'lossMode' | 'topK' | 'matmuls' | 'maxTokens'>;

function common(result: BackwardLensResult, activeModel: string, maxTokens: number): Common {
  if (result.lossMode === 'text') throw new Error('Edits need a prompt and a target: this result analysed training text. Analyse the selection as a prompt to edit toward a target.');
  if (!isFromModel(result, activeModel)) {
    throw new Error(`This result came from ${result.model.source}; the active model is ${activeModel}. Select that model to run edits on it.`);
  }
  const lossMode: EditLossMode = result.lossMode;
  return { prompt: result.prompt, target: result.target, lossMode, topK: EDIT_TOP_K, matmuls: result.matmuls, maxTokens };
}

export function editRequest(result: BackwardLensResult, choice: EditChoice, activeModel: string, maxTokens: number): EditRequest {
  return { ...common(result, activeModel, maxTokens), method: choice.method, layers: choice.layers, eta: choice.eta, neighbours: choice.neighbours };
}

/** Every layer of the model, one at a time. */
export function sweepRequest(result: BackwardLensResult, choice: SweepChoice, activeModel: string, maxTokens: number): EditSweepRequest {
  return { ...common(result, activeModel, maxTokens), method: choice.method, etas: choice.etas };
}
