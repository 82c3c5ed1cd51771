/**
 * Synthetic edit previews and sweeps for unit tests, shaped like the engine's EditResult and
 * EditSweepResult on the two-layer fixture result (hand-built, not produced by any model).
 */
import type { EditResult, EditSweepResult, NextTokenReadout } from '../../src/engine/api';
import type { BackwardLensResult } from '../../src/result/schema';
import { fixtureResult } from './fixtureResult';

const TARGET = { id: 30, text: ' Tom' };

export const readout = (targetProb: number, targetRank: number, first = { id: 10, text: ' the' }): NextTokenReadout => ({
  targetProb,
  targetRank,
  top: targetRank === 0 ? [{ ...TARGET, prob: targetProb }, { ...first, prob: 0.01 }] : [{ ...first, prob: 0.5 }, { id: 11, text: '<b>', prob: 0.2 }],
});

export function fixturePreview(overrides: Partial<EditResult> = {}): EditResult {
  return {
    method: 'forward-shift',
    layers: [1],
    eta: 0.3,
    targetIds: [TARGET.id],
    targetTokens: [TARGET],
    prompts: [
      { prompt: 'Once upon a', before: readout(0.001, 5), after: readout(0.9, 0) },
      { prompt: 'The cat | sat', before: readout(0.002, 7), after: readout(0.003, 6) },
    ],
    loss: { before: 6.9, after: 0.1 },
    reverted: true,
    shifts: [{ layer: 1, measured: 4.2, predicted: 4.2 }],
    ...overrides,
  };
}

export function fixtureSweep(overrides: Partial<EditSweepResult> = {}): EditSweepResult {
  return {
    method: 'forward-shift',
    etas: [0.1, 1, 10],
    targetIds: [TARGET.id],
    targetTokens: [TARGET],
    before: readout(0.001, 5),
    layers: [
      { layer: 0, smallestEta: null },
      { layer: 1, smallestEta: 1, after: readout(0.7, 0) },
    ],
    ...overrides,
  };
}

/** A backward-lens/2 result with one preview and one sweep. */
export function resultWithFixtureEdits(): BackwardLensResult {
  return { ...fixtureResult(), schema: 'backward-lens/2', edits: { previews: [fixturePreview()], sweeps: [fixtureSweep()] } };
}
