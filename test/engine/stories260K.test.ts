/** The engine on the real embedded model: forward pass exactness and the paper's gradient facts. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IO } from '../../src/graph/backwardLensGraph';
import type { AnalysisRequest, ProgressStep } from '../../src/engine/api';
import type { BackwardLensEngine } from '../../src/engine/engine';
import { InputError, planLoss } from '../../src/engine/lossPlan';
import { loadModel } from '../../src/model/load';
import type { ModelDescription } from '../../src/model/description';
import { engineWith, predictionPlan, TestEngine } from '../support/engines';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';

const README_GREEDY_TEXT =
  ' Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high';

const cacheDir = makeTempDir('stories');
let model: ModelDescription;
let engine: BackwardLensEngine;
let gradientOutputs: TestEngine['gradientOutputs'];
before(async () => {
  model = await loadModel(STORIES260K_DIR);
  ({ engine, gradientOutputs } = engineWith(model, { executionProvider: 'cpu', cacheDir }));
});
after(async () => {
  await engine.dispose();
  removeDir(cacheDir);
});

test('greedy decoding from BOS reproduces the README text', async () => {
  const ids = [model.tokenizer.bosId!];
  for (let step = 0; step < 60; step++) {
    const out = await gradientOutputs(predictionPlan(ids), [IO.predictionIds]);
    ids.push(Number((out[IO.predictionIds] as BigInt64Array)[0]));
  }
  assert.deepEqual(ids.slice(1, 11), [403, 407, 261, 378, 432, 383, 286, 261, 376, 298]);
  assert.equal(model.tokenizer.decode(ids.slice(1)), README_GREEDY_TEXT);
});

const PROMPTS = [
  ['Once upon a time, there was a little girl named', 'Tom'],
  ['The dog ran to the park and', 'played'],
  ['Lily saw a big red ball in the', 'garden'],
] as const;

for (const [prompt, target] of PROMPTS) {
  test(`paper loss on "${prompt}": last-layer δ vanishes off the loss position; FF1 rank = n elsewhere`, async () => {
    const result = await engine.analyze({ prompt, target, lossMode: 'paper', topK: 5, vectors: true });
    const n = result.tokens.length;
    const last = result.layers[result.layers.length - 1];
    last.ff2.vectors!.forEach((delta, i) => {
      const norm = Math.hypot(...delta);
      if (i === n - 1) assert.ok(norm > 0, 'the loss position has a non-zero δ');
      else assert.equal(norm, 0, `δ at position ${i} of the last layer`);
    });
    assert.equal(last.gradRank.ff2, 1);
    assert.equal(last.gradRank.ff1, 1);
    for (const layer of result.layers.slice(0, -1)) {
      assert.equal(layer.gradRank.ff1, n, `FF1 gradient rank in layer ${layer.layer}`);
    }
  });
}

test('paper loss: the target token " T" is the bottom of LL(δ) at the last position of the last layer', async () => {
  const result = await engine.analyze({ prompt: PROMPTS[0][0], target: 'Tom', lossMode: 'paper', topK: 5 });
  const targetId = result.targetIds[0];
  assert.equal(model.tokenizer.tokenText(targetId), ' T');
  const last = result.layers[result.layers.length - 1].ff2;
  assert.equal(last.bottom[result.tokens.length - 1][0].id, targetId);
  // The paper's lemma: at the top, δ·Dᵀ gives the target the only negative coefficient.
  assert.equal(last.targetRank[result.tokens.length - 1], result.model.vocabSize - 1);
  assert.equal(result.prediction[0].text, ' Lily');
});

test('the reported loss is −log p(target) of the model\'s own prediction distribution', async () => {
  const prompt = PROMPTS[0][0];
  const result = await engine.analyze({ prompt, target: 'Lily', lossMode: 'paper', topK: 5 });
  assert.equal(result.prediction[0].id, result.targetIds[0]);
  assert.ok(Math.abs(result.loss + Math.log(result.prediction[0].prob)) < 1e-4);
});

test('continuation and text modes score every target / next token', async () => {
  const prompt = PROMPTS[0][0];
  const continuation = await engine.analyze({ prompt, target: ' Tom', lossMode: 'continuation', topK: 3 });
  const plan = planLoss(model.tokenizer, { prompt, target: ' Tom', lossMode: 'continuation', maxTokens: 512 });
  assert.deepEqual(continuation.targetIds, plan.lossTargetIds);
  assert.equal(continuation.targetIds.length, 2);
  assert.equal(continuation.tokens.length, 14 + 1);
  const text = await engine.analyze({ prompt, target: '', lossMode: 'text', topK: 3 });
  assert.equal(text.targetIds.length, text.tokens.length - 1);
  assert.ok(text.layers[4].ff2.norms.slice(0, -1).every((norm) => norm > 0), 'every scored position has a δ');
  assert.equal(text.layers[4].ff2.norms.at(-1), 0, 'the last position carries no loss in text mode');
});

test('an aborted analysis rejects with the abort reason instead of finishing', async () => {
  const controller = new AbortController();
  controller.abort(new Error('user pressed Cancel'));
  await assert.rejects(
    engine.analyze({ prompt: PROMPTS[0][0], target: 'Tom', lossMode: 'paper', topK: 5 }, { signal: controller.signal }),
    /user pressed Cancel/,
  );
});

/** Long enough (61 tokens, 600-odd distinct lens rows) to need two lens blocks; the normalized lens no other test opens. */
const LONG_REQUEST: AnalysisRequest = { prompt: README_GREEDY_TEXT, target: '', lossMode: 'text', topK: 3, normalized: true };

test('progress: compile while the sessions open, then the gradient pass, then every lens block', async () => {
  const runs: ProgressStep[][] = [[], []];
  for (const steps of runs) await engine.analyze(LONG_REQUEST, { onProgress: (step) => steps.push(step) });
  const total = runs[0].at(-1)!.total!;
  assert.ok(total >= 2, `${total} lens block(s)`);
  const lens = Array.from({ length: total + 1 }, (_, done) => ({ stage: 'lens', done, total }));
  assert.deepEqual(runs[0], [{ stage: 'compile' }, { stage: 'gradient' }, ...lens]);
  assert.deepEqual(runs[1], [{ stage: 'gradient' }, ...lens], 'no compile step once the sessions are open');
});

test('aborting while the lens runs stops it before the next block', async () => {
  const controller = new AbortController();
  const steps: ProgressStep[] = [];
  const onProgress = (step: ProgressStep) => {
    steps.push(step);
    if (step.stage === 'lens' && step.done === 1) controller.abort(new Error('user pressed Cancel'));
  };
  await assert.rejects(engine.analyze(LONG_REQUEST, { signal: controller.signal, onProgress }), /user pressed Cancel/);
  assert.equal(steps.at(-1)!.done, 1);
  assert.ok(steps.at(-1)!.total! >= 2);
});

test('a request with properties the engine does not know is refused, naming them and the allowed ones', async () => {
  const request = { prompt: PROMPTS[0][0], target: 'Tom', lossMode: 'paper', topK: 5, signal: undefined, topk: 3 } as AnalysisRequest;
  await assert.rejects(engine.analyze(request), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /unknown properties "signal", "topk"/);
    assert.match(error.message, /prompt, target, lossMode, topK, normalized, projection, matmuls, vectors or maxTokens\.$/);
    return true;
  });
});
