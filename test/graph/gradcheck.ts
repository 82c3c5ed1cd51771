/** Central finite differences against the graph's own VJPs, in float64, through onnxruntime. */
import * as ort from 'onnxruntime-node';
import { backward } from '../../src/graph/autodiff';
import { Graph, Tensor } from '../../src/graph/graph';
import { toOnnxBytes } from '../../src/graph/onnx';
import { mul, reduceSum, reshape } from '../../src/graph/ops';

export type Builder = (g: Graph, inputs: Tensor[]) => Tensor;

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Builds L = Σ build(x) ⊙ r for a fixed random r, so dL/dx is a generic VJP, and returns the
 * largest relative difference between the graph's dL/dx and central differences of L.
 */
export async function maxVjpError(
  build: Builder,
  shapes: number[][],
  { positive = false, seed = 1, step = 1e-6 } = {},
): Promise<number> {
  const random = seededRandom(seed);
  const g = new Graph();
  const inputs = shapes.map((shape, i) => g.input(`x${i}`, 'float64', shape, true));
  const y = build(g, inputs);
  const weights = g.constant(
    Array.from({ length: size(y.shape as number[]) }, () => random() * 2 - 1),
    'float64',
    y.shape as number[],
  );
  const loss = reshape(g, reduceSum(g, mul(g, y, weights), y.shape.map((_, i) => i)), []);
  g.output(loss, 'loss');
  const grads = backward(g, loss);
  inputs.forEach((x, i) => g.output(grads.get(x)!, `grad${i}`));
  const session = await ort.InferenceSession.create(toOnnxBytes(g, 'gradcheck'));

  const values = shapes.map((shape) =>
    Float64Array.from({ length: size(shape) }, () => (positive ? 0.5 + random() : random() * 2 - 1)),
  );
  const feeds = () =>
    Object.fromEntries(values.map((v, i) => [`x${i}`, new ort.Tensor('float64', v.slice(), shapes[i])]));
  const lossAt = async () => ((await session.run(feeds(), ['loss'])).loss.data as Float64Array)[0];
  const analytic = await session.run(feeds());

  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const grad = analytic[`grad${i}`].data as Float64Array;
    for (let j = 0; j < values[i].length; j++) {
      const original = values[i][j];
      values[i][j] = original + step;
      const up = await lossAt();
      values[i][j] = original - step;
      const down = await lossAt();
      values[i][j] = original;
      const numeric = (up - down) / (2 * step);
      worst = Math.max(worst, Math.abs(numeric - grad[j]) / Math.max(1, Math.abs(numeric)));
    }
  }
  await session.release();
  return worst;
}
