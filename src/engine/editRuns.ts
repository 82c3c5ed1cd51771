/**
 * Runs of the edit graph: a plan through the model with low-rank updates of its MLP weights fed as
 * inputs, W' = W + Pᵀ Q. A weight without an update is fed rank-0 factors, which add exactly 0,
 * so "no update" is the model itself and a revert is just a run without the update.
 */
import * as ort from 'onnxruntime-node';
import { IO } from '../graph/backwardLensGraph';
import { EDIT_IO, updateInputNames, weightInOut } from '../graph/editGraph';
import { mlpWeightNames } from '../graph/models/transformer';
import type { ModelDescription } from '../model/description';
import { Floats, lossFeeds } from './gradientPass';
import type { LossPlan } from './lossPlan';
import type { OuterProductSum } from './mlpGradients';
import type { GraphSession } from './sessionCache';

/** P [rank, in] and Q [rank, out], row-major: the update Pᵀ Q of a weight [in, out]. */
export interface LowRankFactors {
  rank: number;
  p: Floats;
  q: Floats;
}

/** Updates by weight name; weights not named are left as they are. */
export type WeightUpdates = ReadonlyMap<string, LowRankFactors>;

export const NO_UPDATES: WeightUpdates = new Map();

export interface EditedPass {
  loss: number;
  /** At the predicted position, [V]. */
  logits: Floats;
  /** Per layer at the predicted position: FF2's input h [layers, d_ff] and output [layers, d]. */
  lastFf2Input: Floats;
  lastFf2Output: Floats;
  /** Only from a session built with factor outputs (tests): the FF1 pre-activations there. */
  lastFf1Output?: Floats;
}

export async function runEdited(session: GraphSession, model: ModelDescription, plan: LossPlan, updates: WeightUpdates): Promise<EditedPass> {
  const feeds: Record<string, ort.Tensor> = {
    ...lossFeeds(plan, session.computeDType),
    [EDIT_IO.predictPosition]: new ort.Tensor('int64', BigInt64Array.of(BigInt(plan.predictPosition)), [1]),
  };
  const floats = session.computeDType === 'float64' ? Float64Array : Float32Array;
  for (let layer = 0; layer < model.config.layers; layer++) {
    const { ff1, ff2 } = mlpWeightNames(model.config, layer);
    for (const weight of [...ff1, ff2]) {
      const [inFeatures, outFeatures] = weightInOut(model, weight);
      const update = updates.get(weight) ?? { rank: 0, p: new floats(0), q: new floats(0) };
      const names = updateInputNames(weight);
      const asFed = (values: Floats) => (values instanceof floats ? values : floats.from(values));
      feeds[names.p] = new ort.Tensor(session.computeDType, asFed(update.p), [update.rank, inFeatures]);
      feeds[names.q] = new ort.Tensor(session.computeDType, asFed(update.q), [update.rank, outFeatures]);
    }
  }
  const withFf1 = session.live.session.outputNames.includes(EDIT_IO.lastFf1Output);
  const fetches = [IO.loss, EDIT_IO.logits, EDIT_IO.lastFf2Input, EDIT_IO.lastFf2Output, ...(withFf1 ? [EDIT_IO.lastFf1Output] : [])];
  const out = await session.run(feeds, fetches);
  const data = (name: string) => out[name].data as Floats;
  return {
    loss: data(IO.loss)[0],
    logits: data(EDIT_IO.logits),
    lastFf2Input: data(EDIT_IO.lastFf2Input),
    lastFf2Output: data(EDIT_IO.lastFf2Output),
    ...(withFf1 ? { lastFf1Output: data(EDIT_IO.lastFf1Output) } : {}),
  };
}

/** One SGD step, W ← W − η ∇W, on every weight whose gradient Σ_i a_iᵀ b_i is given: P = −η A, Q = B (rank T). */
export function sgdStep(gradients: OuterProductSum[], eta: number): Map<string, LowRankFactors> {
  return new Map(gradients.map((w) => [w.weight, { rank: w.a.length / w.inFeatures, p: scaled(w.a, -eta), q: w.b }]));
}

/** The paper's forward-pass shift of an FF2 weight: W_out ← W_out + η h_nᵀ e_t, rank 1. */
export function forwardShift(h: Floats, e: Floats, eta: number): LowRankFactors {
  return { rank: 1, p: scaled(h, eta), q: e };
}

function scaled(values: Floats, factor: number): Floats {
  return (values as Float32Array).map((v) => v * factor);
}
