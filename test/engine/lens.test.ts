/**
 * The lens read-out — computed in the graph one vocabulary chunk at a time and merged — against
 * a float64 reference that projects each returned vector onto the whole vocabulary at once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { BackwardLensEngine } from '../../src/engine/engine';
import { openEngineFor } from '../../src/engine/open';
import { LENS_VOCAB_CHUNK, MAX_LENS_TOP_K, vocabChunks } from '../../src/graph/backwardLensGraph';
import type { ModelDescription } from '../../src/model/description';
import { loadModel } from '../../src/model/load';
import type { LensRow } from '../../src/result/schema';
import { engineWith } from '../support/engines';
import { makeTempDir, readWeightValues, removeDir } from '../support/fixtures';
import { float16BitsToFloat32 } from '../../src/model/weightValues';
import { float32ToFloat16Bits, writeTinyGpt2 } from '../support/tinyModels';

const root = makeTempDir('lens');

/** One tiny GPT-2 with the real 50,257-token vocabulary, shared by the engine tests below. */
let shared: Promise<{ model: ModelDescription; engine: BackwardLensEngine }> | undefined;
const cpuOptions = { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') } as const;
function gpt2Engine(): Promise<{ model: ModelDescription; engine: BackwardLensEngine }> {
  if (!shared) {
    const folder = path.join(root, 'gpt2');
    writeTinyGpt2(folder, { realTokenizer: true });
    shared = loadModel(folder).then(async (model) => ({ model, engine: await openEngineFor(model, cpuOptions) }));
  }
  return shared;
}

after(async () => {
  await (await shared)?.engine.dispose();
  removeDir(root);
});

test('vocabulary chunks tile [0, V) in near-equal widths, each wide enough for the largest top-k', () => {
  for (const V of [7, 512, 1024, 1025, 32000, 50257, 128256, 151936]) {
    const chunks = vocabChunks(V);
    let next = 0;
    for (const { first, size } of chunks) {
      assert.equal(first, next, `V=${V}: chunks are contiguous`);
      assert.ok(size <= LENS_VOCAB_CHUNK, `V=${V}: chunk of ${size}`);
      next = first + size;
    }
    assert.equal(next, V, `V=${V}: chunks cover the vocabulary`);
    const widths = chunks.map((c) => c.size);
    assert.ok(Math.max(...widths) - Math.min(...widths) < chunks.length, `V=${V}: widths ${Math.min(...widths)}…${Math.max(...widths)}`);
    assert.ok(Math.min(...widths) >= Math.min(V, MAX_LENS_TOP_K), `V=${V}: narrowest chunk ${Math.min(...widths)}`);
  }
});

const toHalf = (x: number) => float16BitsToFloat32(float32ToFloat16Bits(x));

/** LL(v) = log_softmax(ln_f(v) · Dᵀ) in float64 over the whole vocabulary, its GEMM operands optionally rounded first. */
function referenceLens(model: ModelDescription, v: number[], round: (x: number) => number = (x) => x): Float64Array {
  const gain = readWeightValues(model.weights['ln_f.weight']);
  const bias = readWeightValues(model.weights['ln_f.bias']);
  const D = readWeightValues(model.weights['wte.weight']);
  const d = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / d;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
  const h = v.map((x, i) => round(((x - mean) / Math.sqrt(variance + model.config.normEps)) * gain[i] + bias[i]));
  const logits = new Float64Array(model.config.vocabSize);
  for (let t = 0; t < logits.length; t++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += h[i] * round(D[t * d + i]);
    logits[t] = dot;
  }
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let total = 0;
  for (const x of logits) total += Math.exp(x - max);
  const logTotal = Math.log(total) + max;
  return logits.map((x) => x - logTotal);
}

function checkCell(reference: Float64Array, row: LensRow, i: number, rankId: number, where: string, tolerance = 1e-4): void {
  const sorted = Float64Array.from(reference).sort();
  const k = row.top[i].length;
  row.top[i].forEach((token, j) => {
    assert.ok(Math.abs(Math.log(token.prob) - reference[token.id]) < tolerance, `${where}: top ${j} log-prob`);
    assert.ok(Math.abs(reference[token.id] - sorted[sorted.length - 1 - j]) < tolerance, `${where}: top ${j} is the ${j + 1}-th most probable`);
  });
  row.bottom[i].forEach((token, j) => {
    assert.ok(Math.abs(Math.log(token.prob) - reference[token.id]) < tolerance, `${where}: bottom ${j} log-prob`);
    assert.ok(Math.abs(reference[token.id] - sorted[j]) < tolerance, `${where}: bottom ${j} is the ${j + 1}-th least probable`);
  });
  assert.equal(new Set(row.top[i].map((t) => t.id)).size, k, `${where}: top-k ids are distinct`);
  // Ranks may differ only through tokens whose logits tie the rank token's within float32 rounding.
  const target = reference[rankId];
  let surelyHigher = 0;
  let maybeHigher = 0;
  reference.forEach((x, id) => {
    if (id === rankId) return;
    if (x > target + tolerance / 10) surelyHigher++;
    if (x > target - tolerance / 10) maybeHigher++;
  });
  const rank = row.targetRank[i];
  assert.ok(rank >= surelyHigher && rank <= maybeHigher, `${where}: rank ${rank} outside [${surelyHigher}, ${maybeHigher}]`);
}

test('GPT-2 vocabulary (13 chunks): every cell equals the float64 lens over the whole vocabulary', async () => {
  const { model, engine } = await gpt2Engine();
  assert.ok(vocabChunks(model.config.vocabSize).length > 1, 'the vocabulary spans several chunks');
  for (const lossMode of ['paper', 'text'] as const) {
    const result = await engine.analyze({ prompt: 'The cat sat on the mat', target: ' Paris', lossMode, topK: 7, vectors: true });
    let zeroCells = 0;
    for (const layer of result.layers) {
      for (const kind of ['ff1', 'ff2'] as const) {
        const row = layer[kind];
        row.vectors!.forEach((v, i) => {
          if (v.every((x) => x === 0)) zeroCells++;
          const norm = Math.hypot(...v);
          assert.ok(Math.abs(row.norms[i] - norm) <= 1e-5 * Math.max(1, norm), `${lossMode} ${kind} layer ${layer.layer} position ${i}: norm`);
          checkCell(referenceLens(model, v), row, i, result.rankIds[i], `${lossMode} ${kind} layer ${layer.layer} position ${i}`);
        });
      }
    }
    // Paper loss: the zero δ of the last layer's other positions are projected once and shared.
    if (lossMode === 'paper') assert.equal(zeroCells, result.tokens.length - 1);
  }
});

test('float16 projection: every cell equals the float64 lens of half-precision vectors and unembedding', async () => {
  const { model, engine } = await gpt2Engine();
  const result = await engine.analyze({ prompt: 'The cat sat on the mat', target: ' Paris', lossMode: 'paper', topK: 5, vectors: true, projection: 'float16' });
  assert.equal(result.lens.projection, 'float16');
  let differsFromExact = false;
  for (const layer of result.layers) {
    for (const kind of ['ff1', 'ff2'] as const) {
      layer[kind].vectors!.forEach((v, i) => {
        const where = `${kind} layer ${layer.layer} position ${i}`;
        checkCell(referenceLens(model, v, toHalf), layer[kind], i, result.rankIds[i], where);
        const exact = referenceLens(model, v);
        differsFromExact ||= layer[kind].top[i].some((t) => Math.abs(Math.log(t.prob) - exact[t.id]) > 1e-5);
      });
    }
  }
  assert.ok(differsFromExact, 'half-precision rounding shows in the log-probabilities (the float16 graph really ran)');
});

test('the GPU layout (unembedding as an initializer) gives the read-out of the CPU layout (unembedding fed)', async () => {
  const { model, engine: fed } = await gpt2Engine();
  const { engine: stored } = engineWith(model, cpuOptions, { unembedding: 'initializer' });
  try {
    const request = { prompt: 'The cat sat on the mat', target: ' Paris', lossMode: 'paper' as const, topK: 5 };
    const [a, b] = [await fed.analyze(request), await stored.analyze(request)];
    assert.equal(a.loss, b.loss);
    a.layers.forEach((layer, l) => {
      for (const kind of ['ff1', 'ff2'] as const) {
        const [x, y] = [layer[kind], b.layers[l][kind]];
        assert.deepEqual(x.targetRank, y.targetRank, `layer ${l} ${kind} ranks`);
        x.top.forEach((cell, i) => cell.forEach((t, j) => {
          assert.equal(t.id, y.top[i][j].id, `layer ${l} ${kind} position ${i} top ${j}`);
          assert.ok(Math.abs(Math.log(t.prob) - Math.log(y.top[i][j].prob)) < 1e-5, `layer ${l} ${kind} position ${i} top ${j} log-prob`);
        }));
      }
    });
  } finally {
    await stored.dispose();
  }
});

test('top-k above the lens maximum and an unknown projection or matmul precision are refused with what is allowed', async () => {
  const { engine } = await gpt2Engine();
  await assert.rejects(engine.analyze({ prompt: 'The cat', target: ' sat', lossMode: 'paper', topK: MAX_LENS_TOP_K + 1 }), new RegExp(`from 1 to ${MAX_LENS_TOP_K}`));
  await assert.rejects(engine.analyze({ prompt: 'The cat', target: ' sat', lossMode: 'paper', topK: 5, projection: 'bfloat16' as never }), /projection must be float32 or float16/);
  await assert.rejects(engine.analyze({ prompt: 'The cat', target: ' sat', lossMode: 'paper', topK: 5, matmuls: 'int8' as never }), /matmuls must be float32 or float16/);
});
