/**
 * The edit graph: the forward pass and the loss only, every MLP weight taking low-rank update
 * factors as inputs (W' = W + Pᵀ Q, see nn.plusLowRank). Edits, their revert and finite
 * differences of the loss all run on the model's own weights: rank-0 factors are no edit, so
 * the model's files are never changed and no modified copy of a weight is ever made.
 */
import type { ModelDescription } from '../model/description';
import { ComputeDType, GradientGraphOptions, IO, lossInputs, scoredLoss, weightSource } from './backwardLensGraph';
import { Graph, Tensor } from './graph';
import { forward, mlpWeightNames } from './models/transformer';
import { concatPlain, gather } from './plain';

export const EDIT_IO = {
  /** The predicted position's index among the T input positions (IO.predictIndex indexes the scored rows). */
  predictPosition: 'predict_position',
  /** The logits at the predicted position, [1, V]. */
  logits: 'edit_logits',
  /** Per layer, at the predicted position: FF2's input h [L, d_ff] and output [L, d]. */
  lastFf2Input: 'last_ff2_input',
  lastFf2Output: 'last_ff2_output',
  /** Only with `ff1Outputs`: the FF1 outputs (pre-activations) there, [L, d_ff] (Llama: gate then up, [L, 2·d_ff]). */
  lastFf1Output: 'last_ff1_output',
} as const;

/** The graph inputs holding an MLP weight's update factors P [r, in] and Q [r, out]. */
export const updateInputNames = (weightName: string) => ({ p: `${weightName}:update_p`, q: `${weightName}:update_q` });

export interface EditGraphOptions extends Pick<GradientGraphOptions, 'matmuls' | 'unembedding'> {
  /** Also output the FF1 pre-activations at the predicted position (the one-step identity test reads them). */
  ff1Outputs?: boolean;
}

export function buildEditGraph(model: ModelDescription, dtype: ComputeDType, options: EditGraphOptions = {}): Graph {
  const g = new Graph();
  const { config } = model;
  const inputs = lossInputs(g, dtype);
  const predictPosition = g.input(EDIT_IO.predictPosition, 'int64', [1]);
  const updates = new Map<string, { p: Tensor; q: Tensor }>();
  for (let layer = 0; layer < config.layers; layer++) {
    const { ff1, ff2 } = mlpWeightNames(config, layer);
    for (const name of [...ff1, ff2]) {
      const [inFeatures, outFeatures] = weightInOut(model, name);
      const names = updateInputNames(name);
      const rank = `rank_${name}`;
      updates.set(name, { p: g.input(names.p, dtype, [rank, inFeatures]), q: g.input(names.q, dtype, [rank, outFeatures]) });
    }
  }
  const pass = forward(g, config, weightSource(g, model, dtype, options.unembedding ?? 'initializer'), inputs.inputIds, options.matmuls ?? 'float32', (name) => updates.get(name));
  const { logits, loss } = scoredLoss(g, pass, inputs, config.vocabSize);
  g.output(loss, IO.loss);
  g.output(gather(g, logits, inputs.predictIndex), EDIT_IO.logits);
  const atPredicted = (pick: (layer: (typeof pass.layers)[number]) => Tensor) =>
    concatPlain(g, pass.layers.map((layer) => gather(g, pick(layer), predictPosition)), 0);
  g.output(atPredicted((l) => l.ff2Input), EDIT_IO.lastFf2Input);
  g.output(atPredicted((l) => l.ff2Output), EDIT_IO.lastFf2Output);
  if (options.ff1Outputs) g.output(atPredicted((l) => concatPlain(g, l.ff1Outputs, 1)), EDIT_IO.lastFf1Output);
  return g;
}

/** A weight's [in, out] in the row-vector convention x · W: Llama stores nn.Linear [out, in], GPT-2 Conv1D [in, out]. */
export function weightInOut(model: ModelDescription, name: string): [number, number] {
  const [rows, columns] = model.weights[name].shape;
  return model.config.architecture === 'gpt2' ? [rows, columns] : [columns, rows];
}
