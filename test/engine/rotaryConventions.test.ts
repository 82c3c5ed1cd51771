/**
 * Hugging Face's rotate-half RoPE against llama2.c's interleaved one: a llama2.c checkpoint whose
 * q/k projection rows are permuted the way HF's conversion script does
 * (w.view(heads, hd/2, 2, d).transpose(1, 2)) must compute exactly the same model.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/model/load';
import type { ModelDescription } from '../../src/model/description';
import { engineWith, predictionPlan } from '../support/engines';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';

const root = makeTempDir('rotary');
after(() => removeDir(root));

/** Row (h, k, e) of an interleaved projection becomes row (h, e, k) of the rotate-half one. */
function permuteForRotateHalf(bytes: Buffer, offset: number, heads: number, headDim: number, width: number): void {
  const rowBytes = width * 4;
  const original = Buffer.from(bytes.subarray(offset, offset + heads * headDim * rowBytes));
  for (let h = 0; h < heads; h++) {
    for (let k = 0; k < headDim / 2; k++) {
      for (let e = 0; e < 2; e++) {
        const from = (h * headDim + 2 * k + e) * rowBytes;
        const to = (h * headDim + e * (headDim / 2) + k) * rowBytes;
        original.copy(bytes, offset + to, from, from + rowBytes);
      }
    }
  }
}

async function greedy(model: ModelDescription, steps: number): Promise<{ ids: number[]; loss: number }> {
  const { engine, gradientOutputs } = engineWith(model, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
  try {
    const ids = [model.tokenizer.bosId!];
    for (let step = 0; step < steps; step++) {
      const out = await gradientOutputs(predictionPlan(ids), ['prediction_ids']);
      ids.push(Number((out.prediction_ids as BigInt64Array)[0]));
    }
    const result = await engine.analyze({ prompt: 'Once upon a time, there was a little girl named', target: 'Tom', lossMode: 'continuation', topK: 3 });
    return { ids, loss: result.loss };
  } finally {
    await engine.dispose();
  }
}

test('rotate-half with HF-permuted q/k weights equals llama2.c interleaved RoPE', async () => {
  const interleaved = await loadModel(STORIES260K_DIR);
  const { config } = interleaved;
  const file = path.join(root, 'stories260K-hf-rope.bin');
  const bytes = fs.readFileSync(interleaved.weightFiles[0]);
  for (let l = 0; l < config.layers; l++) {
    const q = interleaved.weights[`model.layers.${l}.self_attn.q_proj.weight`];
    const k = interleaved.weights[`model.layers.${l}.self_attn.k_proj.weight`];
    permuteForRotateHalf(bytes, q.offset, config.heads, config.headDim, config.hiddenSize);
    permuteForRotateHalf(bytes, k.offset, config.kvHeads, config.headDim, config.hiddenSize);
  }
  fs.writeFileSync(file, bytes);
  const rotateHalf: ModelDescription = {
    ...interleaved,
    config: { ...config, ropeStyle: 'rotate-half' },
    weightFiles: [file],
    weights: Object.fromEntries(Object.entries(interleaved.weights).map(([name, ref]) => [name, { ...ref, file }])),
  };
  const reference = await greedy(interleaved, 20);
  const converted = await greedy(rotateHalf, 20);
  assert.deepEqual(converted.ids, reference.ids);
  assert.ok(Math.abs(converted.loss - reference.loss) < 1e-4, `loss ${converted.loss} vs ${reference.loss}`);
  // Without the permutation the styles must disagree, or this test could not fail.
  const unpermuted = await greedy({ ...interleaved, config: { ...config, ropeStyle: 'rotate-half' } }, 20);
  assert.notDeepEqual(unpermuted.ids, reference.ids);
});
