/**
 * The neuron view against gradients formed explicitly, here only: on tiny GPT-2 and Llama in
 * float64, ∇W = Σ_i a_iᵀ b_i is built entry by entry from the factor outputs; the view's neurons
 * must be the top rows of it by norm, with those norms, their weight vectors before and
 * W_j − η ∇W_j after the step (as the lens reports their norms), and the imprint weights.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { IO } from '../../src/graph/backwardLensGraph';
import { mlpWeightNames } from '../../src/graph/models/transformer';
import { planLoss } from '../../src/engine/lossPlan';
import type { ModelDescription } from '../../src/model/description';
import { loadModel } from '../../src/model/load';
import type { NeuronVector } from '../../src/result/schema';
import { engineWith } from '../support/engines';
import { makeTempDir, readWeightValues, removeDir } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama, writeTinyNeox } from '../support/tinyModels';

const root = makeTempDir('neurons');
after(() => removeDir(root));

const COUNT = 4;
const ETA = 0.7;
const PROMPT = 'the cat sat on the';

/** ∇W [in][out] from factor rows a [T, in] and b [T, out]. */
function explicitGradient(a: Float64Array, b: Float64Array, T: number, inFeatures: number, outFeatures: number): Float64Array[] {
  return Array.from({ length: inFeatures }, (_, r) =>
    Float64Array.from({ length: outFeatures }, (_, c) => {
      let sum = 0;
      for (let i = 0; i < T; i++) sum += a[i * inFeatures + r] * b[i * outFeatures + c];
      return sum;
    }),
  );
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
/** The lens reports norms in float32, whatever the compute dtype. */
const close = (actual: number, expected: number, what: string, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

async function checkModel(model: ModelDescription) {
  const { engine, gradientOutputs } = engineWith(model, { cacheDir: root }, { computeDType: 'float64', factorOutputs: true });
  try {
    const result = await engine.analyze({ prompt: PROMPT, target: 'Paris', lossMode: 'paper', topK: 3, neurons: COUNT, eta: ETA });
    const plan = planLoss(model.tokenizer, { prompt: PROMPT, target: 'Paris', lossMode: 'paper', maxTokens: 64 });
    const out = await gradientOutputs(plan, [IO.ff1Input, IO.ff1Vjp, IO.ff2Input, IO.ff2Vjp]);
    const { hiddenSize: d, intermediateSize: dff, layers } = model.config;
    const T = plan.inputIds.length;
    const gpt2 = model.config.architecture === 'gpt2';
    const rows = (name: string, layer: number, width: number) => (out[name] as Float64Array).slice(layer * T * width, (layer + 1) * T * width);
    assert.equal(result.neurons!.layers.length, layers);
    for (let layer = 0; layer < layers; layer++) {
      const names = mlpWeightNames(model.config, layer);
      const x = rows(IO.ff1Input, layer, d);
      const vjp = rows(IO.ff1Vjp, layer, dff * names.ff1.length);
      const h = rows(IO.ff2Input, layer, dff);
      const delta = rows(IO.ff2Vjp, layer, d);
      const pieceOf = (k: number) => Float64Array.from({ length: T * dff }, (_, e) => vjp[Math.floor(e / dff) * dff * names.ff1.length + k * dff + (e % dff)]);
      // Keys: column j of ∇W_FF1 [d, d_ff]; value: row j of ∇W_FF2 [d_ff, d].
      const keyGradients = names.ff1.map((_, k) => explicitGradient(x, pieceOf(k), T, d, dff));
      const valueGradient = explicitGradient(h, delta, T, dff, d);
      const keyGradient = (k: number, j: number) => keyGradients[k].map((row) => row[j]);
      const ff1Norms = Array.from({ length: dff }, (_, j) => Math.sqrt(names.ff1.reduce((s, _, k) => s + norm(keyGradient(k, j)) ** 2, 0)));
      const ff2Norms = valueGradient.map(norm);
      const top = (norms: number[]) => Array.from(norms.keys()).sort((a, b) => norms[b] - norms[a]).slice(0, COUNT);
      const view = result.neurons!.layers[layer];
      assert.deepEqual(view.ff1.map((n) => n.index), top(ff1Norms), `layer ${layer} FF1 neurons`);
      assert.deepEqual(view.ff2.map((n) => n.index), top(ff2Norms), `layer ${layer} FF2 neurons`);
      for (const neuron of [...view.ff1, ...view.ff2]) {
        const j = neuron.index;
        const checkVector = (v: NeuronVector, weight: string, stored: Float64Array, gradient: Float64Array, coefficient: (i: number) => number, vectorOf: (i: number) => Float64Array) => {
          assert.equal(v.weight, weight);
          close(v.gradNorm, norm(gradient), `${weight} neuron ${j} gradient norm`);
          close(v.before.norm, norm(stored), `${weight} neuron ${j} before`, 1e-6);
          close(v.after.norm, norm(stored.map((w, e) => w - ETA * gradient[e])), `${weight} neuron ${j} after`, 1e-6);
          const imprint = Array.from({ length: T }, (_, i) => coefficient(i) * norm(vectorOf(i)));
          for (const { position, weight: w } of v.positions) close(w, imprint[position], `${weight} neuron ${j} position ${position}`);
          assert.ok(Math.abs(v.positions[0].weight) >= Math.max(...imprint.map(Math.abs)) - 1e-12, 'the largest term first');
        };
        const weightOf = (name: string) => Float64Array.from(readWeightValues(model.weights[name]));
        names.ff1.forEach((name, k) => {
          // GPT-2 stores c_fc [d, d_ff] (key j = column j); Llama gate/up and GPT-NeoX dense_h_to_4h are [d_ff, d] (row j).
          const w = weightOf(name);
          const key = Float64Array.from({ length: d }, (_, e) => (gpt2 ? w[e * dff + j] : w[j * d + e]));
          const piece = pieceOf(k);
          checkVector(neuron.keys[k], name, key, Float64Array.from(keyGradient(k, j)), (i) => piece[i * dff + j], (i) => x.subarray(i * d, (i + 1) * d));
        });
        const w = weightOf(names.ff2);
        const value = Float64Array.from({ length: d }, (_, e) => (gpt2 ? w[j * d + e] : w[e * dff + j]));
        checkVector(neuron.value, names.ff2, value, valueGradient[j], (i) => h[i * dff + j], (i) => delta.subarray(i * d, (i + 1) * d));
      }
    }
  } finally {
    await engine.dispose();
  }
}

test('GPT-2: the neuron view matches an explicitly formed ∇W', async () => {
  const dir = path.join(root, 'gpt2');
  writeTinyGpt2(dir);
  await checkModel(await loadModel(dir));
});

test('Llama (gate and up keys): the neuron view matches an explicitly formed ∇W', async () => {
  const dir = path.join(root, 'llama');
  writeTinyLlama(dir, { kind: 'llama' });
  await checkModel(await loadModel(dir));
});

test('GPT-NeoX (sequential residual): the neuron view matches an explicitly formed ∇W', async () => {
  const dir = path.join(root, 'neox');
  writeTinyNeox(dir, { parallelResidual: false });
  await checkModel(await loadModel(dir));
});
