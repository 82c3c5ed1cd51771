/**
 * One run of the gradient graph — forward pass, loss, backward pass — fed from a loss plan, its
 * outputs handed back as plain typed arrays.
 */
import * as ort from 'onnxruntime-node';
import { ComputeDType, IO } from '../graph/backwardLensGraph';
import type { LossPlan } from './lossPlan';
import type { GraphSession } from './sessionCache';

/** A float output: a typed array of the graph's compute dtype, so slices of it are views, not copies. */
export type Floats = Float32Array | Float64Array;

export type GraphOutput = Floats | BigInt64Array;

/** What an analysis reads from the gradient pass. Per-layer outputs are stacked layer-major: row layer·T + i. */
export interface GradientPass {
  loss: number;
  /** The model's top-k next tokens at the plan's predict position, most probable first. */
  predictionIds: BigInt64Array;
  predictionLogProbs: Floats;
  /** x_i, the FF1 inputs, [layers·T, d]. */
  ff1Input: Floats;
  /** δ_i, the FF2 VJPs, [layers·T, d]. */
  ff2Vjp: Floats;
  /** Each layer's [T, T] Gram matrices of the two weight gradients' factors. */
  grams: { ff1Input: Floats; ff1Vjp: Floats; ff2Input: Floats; ff2Vjp: Floats };
  /** From a session with factor outputs only: the FF1 VJPs [layers·T, d_ff] (Llama: gate then up, 2·d_ff) and the FF2 inputs h_i [layers·T, d_ff]. */
  factors?: GradientFactors;
}

export interface GradientFactors {
  ff1Vjp: Floats;
  ff2Input: Floats;
}

const ANALYSIS_OUTPUTS = [
  IO.loss, IO.predictionIds, IO.predictionLogProbs, IO.ff1Input, IO.ff2Vjp,
  IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp,
];

/** `factors`: also read the FF1 VJPs and FF2 inputs (the session's graph must output them). */
export async function runGradientPass(session: GraphSession, plan: LossPlan, topK: number, factors = false): Promise<GradientPass> {
  const out = await gradientGraphOutputs(session, plan, factors ? [...ANALYSIS_OUTPUTS, IO.ff1Vjp, IO.ff2Input] : ANALYSIS_OUTPUTS, topK);
  const floats = (name: string) => out[name] as Floats;
  return {
    ...(factors ? { factors: { ff1Vjp: floats(IO.ff1Vjp), ff2Input: floats(IO.ff2Input) } } : {}),
    loss: floats(IO.loss)[0],
    predictionIds: out[IO.predictionIds] as BigInt64Array,
    predictionLogProbs: floats(IO.predictionLogProbs),
    ff1Input: floats(IO.ff1Input),
    ff2Vjp: floats(IO.ff2Vjp),
    grams: { ff1Input: floats(IO.gramFf1Input), ff1Vjp: floats(IO.gramFf1Vjp), ff2Input: floats(IO.gramFf2Input), ff2Vjp: floats(IO.gramFf2Vjp) },
  };
}

/** The named outputs of the gradient graph for a plan, with the top `topK` predicted tokens (predictions and tests read them raw). */
export async function gradientGraphOutputs(session: GraphSession, plan: LossPlan, names: readonly string[], topK = 1): Promise<Record<string, GraphOutput>> {
  const feeds = { ...lossFeeds(plan, session.computeDType), [IO.topK]: int64([topK]) };
  const outputs = await session.run(feeds, names);
  return Object.fromEntries(names.map((name) => [name, outputs[name].data as GraphOutput]));
}

const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);

/** A plan as the inputs of a forward pass with a loss. Only the positions that carry loss, and the predicted one, go through the unembedding. */
export function lossFeeds(plan: LossPlan, computeDType: ComputeDType): Record<string, ort.Tensor> {
  const scored = plan.inputIds.map((_, i) => i).filter((i) => plan.lossWeights[i] !== 0 || i === plan.predictPosition);
  const floats = computeDType === 'float64' ? Float64Array : Float32Array;
  return {
    [IO.inputIds]: int64(plan.inputIds),
    [IO.scoredPositions]: int64(scored),
    [IO.targetIds]: int64(scored.map((i) => plan.targetIds[i])),
    [IO.lossWeights]: new ort.Tensor(computeDType, floats.from(scored.map((i) => plan.lossWeights[i])), [scored.length]),
    [IO.predictIndex]: int64([scored.indexOf(plan.predictPosition)]),
  };
}
