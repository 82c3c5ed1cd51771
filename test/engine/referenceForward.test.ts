/** The compiled forward pass against independent float64 loops (test/support/referenceForward.ts). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { IO } from '../../src/graph/backwardLensGraph';
import { planPrediction } from '../../src/engine/lossPlan';
import { loadModel } from '../../src/model/load';
import { gradientOutputsOnce } from '../support/engines';
import { makeTempDir, removeDir } from '../support/fixtures';
import { gpt2LogProbs, llamaLogProbs, neoxLogProbs } from '../support/referenceForward';
import { writeTinyGpt2, writeTinyLlama, writeTinyNeox, type TinyNeoxOptions } from '../support/tinyModels';

const root = makeTempDir('reference');
after(() => removeDir(root));

async function maxLogProbError(folder: string, reference: typeof gpt2LogProbs): Promise<number> {
  const model = await loadModel(folder);
  const plan = planPrediction(model.tokenizer, 'the cat sat on the mat', 64);
  const vocab = model.config.vocabSize;
  const names = [IO.predictionIds, IO.predictionLogProbs];
  const out = await gradientOutputsOnce(model, { cacheDir: path.join(root, 'cache') }, { computeDType: 'float64' }, { plan, names, topK: vocab });
  const ids = out[IO.predictionIds] as BigInt64Array;
  const logProbs = out[IO.predictionLogProbs] as Float64Array;
  const expected = reference(model, plan.inputIds);
  assert.equal(ids.length, vocab);
  let worst = 0;
  ids.forEach((id, j) => {
    worst = Math.max(worst, Math.abs(logProbs[j] - expected[Number(id)]));
  });
  return worst;
}

test('GPT-2: next-token log-probabilities equal the reference loops', async () => {
  const folder = path.join(root, 'gpt2');
  writeTinyGpt2(folder, { prefixed: true });
  const error = await maxLogProbError(folder, gpt2LogProbs);
  assert.ok(error < 1e-9, `max |Δ log p| ${error}`);
});

test('Llama (GQA, untied): next-token log-probabilities equal the reference loops', async () => {
  const folder = path.join(root, 'llama');
  writeTinyLlama(folder, { kind: 'llama', tied: false });
  const error = await maxLogProbError(folder, llamaLogProbs);
  assert.ok(error < 1e-9, `max |Δ log p| ${error}`);
});

test('Qwen2 (q/k/v biases, tied): next-token log-probabilities equal the reference loops', async () => {
  const folder = path.join(root, 'qwen2');
  writeTinyLlama(folder, { kind: 'qwen2', tied: true });
  const error = await maxLogProbError(folder, llamaLogProbs);
  assert.ok(error < 1e-9, `max |Δ log p| ${error}`);
});

const NEOX_VARIANTS: [string, TinyNeoxOptions][] = [
  ['parallel residual, rotary on half of each head, erf GELU (Pythia)', {}],
  ['sequential residual, full rotary, tied, tanh GELU', { parallelResidual: false, rotaryPct: 1, tied: true, hiddenAct: 'gelu_new' }],
];
for (const [name, options] of NEOX_VARIANTS) {
  test(`GPT-NeoX (${name}): next-token log-probabilities equal the reference loops`, async () => {
    const folder = path.join(root, `neox-${name.replace(/\W+/g, '-')}`);
    writeTinyNeox(folder, options);
    const error = await maxLogProbError(folder, neoxLogProbs);
    assert.ok(error < 1e-9, `max |Δ log p| ${error}`);
  });
}
