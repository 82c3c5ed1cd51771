/**
 * The whole-model check: on tiny random GPT-2, Llama-family and GPT-NeoX models (real safetensors folders),
 * the Backward Lens factors reconstruct the loss gradient of the MLP weights,
 *   ∂L/∂W_out = Σ_i δ_i h_iᵀ and ∂L/∂W_in = Σ_i (FF1 VJP)_i x_iᵀ,
 * compared entry by entry with central finite differences of the loss (float64 graphs).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IO } from '../../src/graph/backwardLensGraph';
import { planLoss } from '../../src/engine/lossPlan';
import { loadModel } from '../../src/model/load';
import type { ModelDescription } from '../../src/model/description';
import type { LossMode } from '../../src/result/schema';
import { gradientOutputsOnce } from '../support/engines';
import { makeTempDir, removeDir, savedOptimizedModels } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama, writeTinyNeox } from '../support/tinyModels';
import { seededRandom } from '../graph/gradcheck';

const root = makeTempDir('gradients');
after(() => removeDir(root));

/** Exactly representable around weights of magnitude < 1 in float32, so ±STEP perturbs exactly. */
const STEP = 2 ** -10;

interface Checked {
  /** Weight name pattern with {l} for the layer. */
  weight: string;
  /** Whether the stored weight is [out, in] (nn.Linear) rather than [in, out] (Conv1D). */
  outIn: boolean;
  /** Gradient factors: output-side and input-side vectors per position, as graph outputs. */
  outputSide: string;
  inputSide: string;
  /** Column offset of this weight's output inside the output-side factor (Llama's fused FF1). */
  outputOffset?: (model: ModelDescription) => number;
}

const LLAMA_CHECKS: Checked[] = [
  { weight: 'model.layers.{l}.mlp.down_proj.weight', outIn: true, outputSide: IO.ff2Vjp, inputSide: IO.ff2Input },
  { weight: 'model.layers.{l}.mlp.gate_proj.weight', outIn: true, outputSide: IO.ff1Vjp, inputSide: IO.ff1Input },
  {
    weight: 'model.layers.{l}.mlp.up_proj.weight',
    outIn: true,
    outputSide: IO.ff1Vjp,
    inputSide: IO.ff1Input,
    outputOffset: (m) => m.config.intermediateSize,
  },
];
const GPT2_CHECKS: Checked[] = [
  { weight: 'h.{l}.mlp.c_proj.weight', outIn: false, outputSide: IO.ff2Vjp, inputSide: IO.ff2Input },
  { weight: 'h.{l}.mlp.c_fc.weight', outIn: false, outputSide: IO.ff1Vjp, inputSide: IO.ff1Input },
];

const NEOX_CHECKS: Checked[] = [
  { weight: 'gpt_neox.layers.{l}.mlp.dense_4h_to_h.weight', outIn: true, outputSide: IO.ff2Vjp, inputSide: IO.ff2Input },
  { weight: 'gpt_neox.layers.{l}.mlp.dense_h_to_4h.weight', outIn: true, outputSide: IO.ff1Vjp, inputSide: IO.ff1Input },
];

async function lossWith(model: ModelDescription, weightData: Uint8Array[], plan: ReturnType<typeof planLoss>): Promise<number> {
  const out = await gradientOutputsOnce(model, { cacheDir: root }, { computeDType: 'float64', weightData }, { plan, names: [IO.loss] });
  return (out[IO.loss] as Float64Array)[0];
}

async function checkModel(folder: string, checks: Checked[], lossMode: LossMode, prompt: string, target: string) {
  const model = await loadModel(folder);
  const plan = planLoss(model.tokenizer, { prompt, target, lossMode, maxTokens: 64 });
  const names = [...new Set(checks.flatMap((c) => [c.outputSide, c.inputSide]))];
  const factors = await gradientOutputsOnce(model, { cacheDir: root }, { computeDType: 'float64', factorOutputs: true }, { plan, names: [IO.loss, ...names] });
  const T = plan.inputIds.length;
  const original = model.weightFiles.map((f) => fs.readFileSync(f));
  const random = seededRandom(7);
  let worst = 0;
  let compared = 0;
  for (const check of checks) {
    for (let layer = 0; layer < model.config.layers; layer++) {
      const ref = model.weights[check.weight.replace('{l}', String(layer))];
      const [rows, cols] = ref.shape;
      const outputs = factors[check.outputSide] as Float64Array;
      const inputs = factors[check.inputSide] as Float64Array;
      // Both factors are [layers·T, width].
      const outWidth = outputs.length / (model.config.layers * T);
      const inWidth = inputs.length / (model.config.layers * T);
      for (let sample = 0; sample < 3; sample++) {
        const r = Math.floor(random() * rows);
        const c = Math.floor(random() * cols);
        const [outIndex, inIndex] = check.outIn ? [r, c] : [c, r];
        const o = outIndex + (check.outputOffset?.(model) ?? 0);
        let analytic = 0;
        for (let i = 0; i < T; i++) {
          analytic += outputs[(layer * T + i) * outWidth + o] * inputs[(layer * T + i) * inWidth + inIndex];
        }
        const fileIndex = model.weightFiles.indexOf(ref.file);
        const at = ref.offset + 4 * (r * cols + c);
        const perturbed = (delta: number) => {
          const copy = original.map((b) => Buffer.from(b));
          copy[fileIndex].writeFloatLE(copy[fileIndex].readFloatLE(at) + delta, at);
          return copy;
        };
        const numeric = ((await lossWith(model, perturbed(STEP), plan)) - (await lossWith(model, perturbed(-STEP), plan))) / (2 * STEP);
        worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric)));
        compared++;
      }
    }
  }
  assert.ok(compared >= 6, 'too few entries compared');
  assert.ok(worst < 1e-4, `max relative error between Σ factor outer products and finite differences: ${worst}`);
}

test('GPT-2: Σ δ hᵀ and Σ (FF1 VJP) xᵀ match finite differences (text loss)', async () => {
  const dir = path.join(root, 'gpt2');
  writeTinyGpt2(dir);
  await checkModel(dir, GPT2_CHECKS, 'text', 'the cat sat on the mat', '');
});

test('Llama with GQA, untied: factors match finite differences (continuation loss)', async () => {
  const dir = path.join(root, 'llama');
  writeTinyLlama(dir, { kind: 'llama', tied: false });
  await checkModel(dir, LLAMA_CHECKS, 'continuation', 'the cat sat on', 'the mat');
});

test('Qwen2 with q/k/v biases, tied: factors match finite differences (paper loss)', async () => {
  const dir = path.join(root, 'qwen2');
  writeTinyLlama(dir, { kind: 'qwen2', tied: true });
  await checkModel(dir, LLAMA_CHECKS, 'paper', 'the dog ran in', 'Paris');
});

test('GPT-NeoX with parallel residual, rotary on half of each head, erf GELU (Pythia): factors match finite differences (continuation loss)', async () => {
  const dir = path.join(root, 'neox-parallel');
  writeTinyNeox(dir);
  await checkModel(dir, NEOX_CHECKS, 'continuation', 'the cat sat on', 'the mat');
});

test('GPT-NeoX with sequential residual, rotary on a quarter of each head, tied: factors match finite differences (text loss)', async () => {
  const dir = path.join(root, 'neox-sequential');
  writeTinyNeox(dir, { parallelResidual: false, rotaryPct: 0.25, tied: true });
  await checkModel(dir, NEOX_CHECKS, 'text', 'the dog ran in Paris', '');
});

test('keeping the recomputations (the large-model session setting) changes no output, GPT-2 and Llama', async () => {
  const names = [IO.loss, IO.predictionLogProbs, IO.ff1Input, IO.ff2Vjp, IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp];
  for (const [kind, write] of [
    ['gpt2', (dir: string) => writeTinyGpt2(dir)],
    ['llama', (dir: string) => writeTinyLlama(dir, { kind: 'llama' })],
  ] as const) {
    const dir = path.join(root, `recompute-${kind}`);
    write(dir);
    const model = await loadModel(dir);
    const plan = planLoss(model.tokenizer, { prompt: 'the cat sat on', target: 'the mat', lossMode: 'continuation', maxTokens: 64 });
    const cacheDir = path.join(dir, 'cache');
    const outputs = [];
    for (const keepRecomputations of [false, true]) {
      outputs.push(await gradientOutputsOnce(model, { cacheDir }, { computeDType: 'float64', keepRecomputations }, { plan, names }));
    }
    assert.equal(savedOptimizedModels(cacheDir).length, 2, `${kind}: the two settings ran optimized models of their own`);
    for (const name of names) {
      const [merged, kept] = outputs.map((o) => o[name] as Float64Array);
      const scale = Math.max(...merged.map(Math.abs));
      assert.ok(scale > 0, `${kind} ${name} is not all zero`);
      const difference = Math.max(...merged.map((v, i) => Math.abs(v - kept[i])));
      assert.ok(difference <= 1e-12 * scale, `${kind} ${name}: differs by ${difference} (scale ${scale})`);
    }
  }
});
