/**
 * The edit graph's update inputs against weights changed for real (in the test only): on tiny
 * GPT-2 ([in, out] weights), Llama and GPT-NeoX ([out, in]) in float64, feeding P and Q for an MLP weight
 * gives the loss and logits of the gradient graph run on W + Pᵀ Q written into the file bytes,
 * and rank-0 factors give those of the unchanged model.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IO } from '../../src/graph/backwardLensGraph';
import { weightInOut } from '../../src/graph/editGraph';
import { mlpWeightNames } from '../../src/graph/models/transformer';
import { NO_UPDATES, runEdited } from '../../src/engine/editRuns';
import { planLoss } from '../../src/engine/lossPlan';
import { SessionCache } from '../../src/engine/sessionCache';
import type { ModelDescription } from '../../src/model/description';
import { loadModel } from '../../src/model/load';
import { gradientOutputsOnce } from '../support/engines';
import { makeTempDir, removeDir } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama, writeTinyNeox } from '../support/tinyModels';
import { seededRandom } from '../graph/gradcheck';

const root = makeTempDir('edit-graph');
after(() => removeDir(root));

const RANK = 2;

/** The file bytes with W + Pᵀ Q in place of W, in the weight's stored layout. */
function materialised(model: ModelDescription, weight: string, p: Float64Array, q: Float64Array): Uint8Array[] {
  const ref = model.weights[weight];
  const [inFeatures, outFeatures] = weightInOut(model, weight);
  const files = model.weightFiles.map((file) => Buffer.from(fs.readFileSync(file)));
  const bytes = files[model.weightFiles.indexOf(ref.file)];
  for (let i = 0; i < inFeatures; i++) {
    for (let o = 0; o < outFeatures; o++) {
      let change = 0;
      for (let r = 0; r < RANK; r++) change += p[r * inFeatures + i] * q[r * outFeatures + o];
      const at = ref.offset + 4 * (model.config.architecture === 'gpt2' ? i * outFeatures + o : o * inFeatures + i);
      bytes.writeFloatLE(bytes.readFloatLE(at) + change, at);
    }
  }
  return files;
}

async function check(folder: string) {
  const model = await loadModel(folder);
  const plan = planLoss(model.tokenizer, { prompt: 'the cat sat on', target: 'the mat', lossMode: 'continuation', maxTokens: 64 });
  const sessions = new SessionCache(model, { cacheDir: root }, undefined, { computeDType: 'float64' });
  const edit = await sessions.edit();
  const random = seededRandom(3);
  const reference = (weightData?: Uint8Array[]) =>
    gradientOutputsOnce(model, { cacheDir: root }, { computeDType: 'float64', weightData }, { plan, names: [IO.loss, IO.predictionLogProbs], topK: model.config.vocabSize });
  try {
    const unchanged = await runEdited(edit, model, plan, NO_UPDATES);
    assert.ok(Math.abs(unchanged.loss - ((await reference())[IO.loss] as Float64Array)[0]) < 1e-12, 'rank 0 is the model itself');
    const layer = model.config.layers - 1;
    const { ff1, ff2 } = mlpWeightNames(model.config, layer);
    for (const weight of [...ff1, ff2]) {
      const [inFeatures, outFeatures] = weightInOut(model, weight);
      // Small factors: float32 file bytes round W + Pᵀ Q, so the change must not be rounded away.
      const p = Float64Array.from({ length: RANK * inFeatures }, () => (random() - 0.5) / 2);
      const q = Float64Array.from({ length: RANK * outFeatures }, () => (random() - 0.5) / 2);
      const edited = await runEdited(edit, model, plan, new Map([[weight, { rank: RANK, p, q }]]));
      const expected = await reference(materialised(model, weight, p, q));
      const expectedLoss = (expected[IO.loss] as Float64Array)[0];
      assert.ok(Math.abs(edited.loss - unchanged.loss) > 1e-3, `${weight}: the update changes the loss`);
      assert.ok(Math.abs(edited.loss - expectedLoss) < 1e-6, `${weight}: loss ${edited.loss} with the update inputs, ${expectedLoss} with W + PᵀQ in the file`);
    }
  } finally {
    await sessions.dispose();
  }
}

test('GPT-2 ([in, out] Conv1D weights): update inputs act as W + Pᵀ Q', async () => {
  const dir = path.join(root, 'gpt2');
  writeTinyGpt2(dir);
  await check(dir);
});

test('Llama ([out, in] nn.Linear weights, gate and up): update inputs act as W + Pᵀ Q', async () => {
  const dir = path.join(root, 'llama');
  writeTinyLlama(dir, { kind: 'llama' });
  await check(dir);
});

test('GPT-NeoX ([out, in] nn.Linear weights with biases, parallel residual): update inputs act as W + Pᵀ Q', async () => {
  const dir = path.join(root, 'neox');
  writeTinyNeox(dir);
  await check(dir);
});
