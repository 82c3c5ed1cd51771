/**
 * Engines and raw gradient-graph runs for the engine tests, over sessions built with a test's
 * GraphVariant (float64, perturbed weights, factor outputs, another layout) where it needs one.
 */
import type { EngineOptions } from '../../src/engine/api';
import { BackwardLensEngine } from '../../src/engine/engine';
import { gradientGraphOutputs, GraphOutput } from '../../src/engine/gradientPass';
import type { LossPlan } from '../../src/engine/lossPlan';
import { GraphVariant, SessionCache } from '../../src/engine/sessionCache';
import type { ModelDescription } from '../../src/model/description';

export type GradientOutputs = Record<string, GraphOutput>;

export interface TestEngine {
  engine: BackwardLensEngine;
  /** The engine's own sessions (the edit tests run the edit graph directly). */
  sessions: SessionCache;
  /** Raw outputs of the engine's own gradient session for a plan. */
  gradientOutputs(plan: LossPlan, names: readonly string[], topK?: number): Promise<GradientOutputs>;
}

/** An engine whose results carry no weights hash; dispose it as usual. */
export function engineWith(model: ModelDescription, options: EngineOptions, variant: GraphVariant = {}): TestEngine {
  const sessions = new SessionCache(model, options, undefined, variant);
  return {
    engine: new BackwardLensEngine(model, '', sessions),
    sessions,
    gradientOutputs: async (plan, names, topK) => gradientGraphOutputs(await sessions.gradient(), plan, names, topK),
  };
}

/** Raw gradient-graph outputs from a session opened for this one run and released after it. */
export async function gradientOutputsOnce(
  model: ModelDescription,
  options: EngineOptions,
  variant: GraphVariant,
  run: { plan: LossPlan; names: readonly string[]; topK?: number },
): Promise<GradientOutputs> {
  const sessions = new SessionCache(model, options, undefined, variant);
  try {
    return await gradientGraphOutputs(await sessions.gradient(), run.plan, run.names, run.topK);
  } finally {
    await sessions.dispose();
  }
}

/** A plan that scores no position and predicts after the last of `ids` (greedy decoding token by token). */
export function predictionPlan(ids: number[]): LossPlan {
  const zeros = ids.map(() => 0);
  return { inputIds: ids, targetIds: zeros, lossWeights: zeros, rankIds: zeros, predictPosition: ids.length - 1, lossTargetIds: [] };
}
