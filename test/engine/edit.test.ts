/**
 * Edit preview on the real embedded model (float32): the paper's forward-shift and one-step
 * identities, an edit that makes the target the argmax and its exact revert, the sweep, and
 * bad requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IO } from '../../src/graph/backwardLensGraph';
import { mlpWeightNames, unembeddingName } from '../../src/graph/models/transformer';
import type { BackwardLensEngine } from '../../src/engine/engine';
import { NO_UPDATES, runEdited } from '../../src/engine/editRuns';
import { InputError, planLoss } from '../../src/engine/lossPlan';
import type { ModelDescription } from '../../src/model/description';
import { loadModel } from '../../src/model/load';
import { readWeightVectors } from '../../src/model/weightValues';
import { engineWith, TestEngine } from '../support/engines';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';

const PROMPT = 'Once upon a time, there was a little girl named';
const NEIGHBOUR = 'The dog ran to the park and';
const cacheDir = makeTempDir('edit');
let model: ModelDescription;
let engine: BackwardLensEngine;
let tested: TestEngine;
before(async () => {
  model = await loadModel(STORIES260K_DIR);
  tested = engineWith(model, { executionProvider: 'cpu', cacheDir }, { factorOutputs: true });
  engine = tested.engine;
});
after(async () => {
  await engine.dispose();
  removeDir(cacheDir);
});

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((sum, v, i) => sum + v * b[i], 0);

test('forward shift: the direct change of the target logit through layer ℓ\'s FF2 is η‖h_n‖²‖e_t‖²', async (t) => {
  const plan = planLoss(model.tokenizer, { prompt: PROMPT, target: 'Tom', lossMode: 'paper', maxTokens: 512 });
  const out = await tested.gradientOutputs(plan, [IO.ff2Input]);
  const { layers, intermediateSize: dff } = model.config;
  const T = plan.inputIds.length;
  const e = readWeightVectors(model.weights[unembeddingName(model.config)], [plan.lossTargetIds[0]], 0)[0];
  let worst = 0;
  for (let layer = 0; layer < layers; layer++) {
    for (const eta of [0.05, 1]) {
      const result = await engine.edit({ prompt: PROMPT, target: 'Tom', method: 'forward-shift', layers: [layer], eta });
      // h_n from the gradient graph, an independent forward pass.
      const h = (out[IO.ff2Input] as Float32Array).subarray(((layer + 1) * T - 1) * dff, (layer + 1) * T * dff);
      const expected = eta * dot(h, h) * dot(e, e);
      const { measured, predicted } = result.shifts![0];
      worst = Math.max(worst, Math.abs(measured - expected) / expected, Math.abs(predicted - expected) / expected);
    }
  }
  t.diagnostic(`largest relative difference ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
});

test('one FF1 step with one token\'s contribution changes that token\'s pre-activations by −η‖x_i‖²·δ^FF1_i', async (t) => {
  const plan = planLoss(model.tokenizer, { prompt: PROMPT, target: 'Tom', lossMode: 'paper', maxTokens: 512 });
  const out = await tested.gradientOutputs(plan, [IO.ff1Input, IO.ff1Vjp]);
  const { hiddenSize: d, intermediateSize: dff, layers } = model.config;
  const T = plan.inputIds.length;
  const i = plan.predictPosition;
  const session = await tested.sessions.edit();
  const unchanged = await runEdited(session, model, plan, NO_UPDATES);
  const eta = 0.5;
  let worst = 0;
  for (let layer = 0; layer < layers; layer++) {
    const x = (out[IO.ff1Input] as Float32Array).slice((layer * T + i) * d, (layer * T + i + 1) * d);
    const vjp = (out[IO.ff1Vjp] as Float32Array).slice((layer * T + i) * 2 * dff, (layer * T + i + 1) * 2 * dff);
    const [gate, up] = mlpWeightNames(model.config, layer).ff1;
    const p = x.map((v) => -eta * v);
    const updates = new Map([[gate, { rank: 1, p, q: vjp.slice(0, dff) }], [up, { rank: 1, p, q: vjp.slice(dff) }]]);
    const stepped = await runEdited(session, model, plan, updates);
    const xx = dot(x, x);
    const scale = Math.max(...vjp.map(Math.abs)) * eta * xx;
    for (let j = 0; j < 2 * dff; j++) {
      const change = stepped.lastFf1Output![layer * 2 * dff + j] - unchanged.lastFf1Output![layer * 2 * dff + j];
      worst = Math.max(worst, Math.abs(change + eta * xx * vjp[j]) / scale);
    }
  }
  t.diagnostic(`largest difference ${worst.toExponential(2)} of the largest change`);
  assert.ok(worst < 1e-4, `largest difference ${worst} of the largest change`);
});

test('an edit makes the target the argmax where it was not; leaving it out restores the logits exactly', async () => {
  const original = await engine.predictNext(PROMPT, 5);
  for (const [method, layer, eta] of [['forward-shift', 3, 1], ['sgd', 1, 0.1]] as const) {
    const result = await engine.edit({ prompt: PROMPT, target: 'Tom', method, layers: [layer], eta, neighbours: [NEIGHBOUR] });
    const [edited, neighbour] = result.prompts;
    assert.equal(model.tokenizer.tokenText(result.targetIds[0]), ' T');
    assert.ok(edited.before.targetRank > 0, `${method}: not the argmax before`);
    assert.equal(edited.after.targetRank, 0, `${method}: the argmax after`);
    assert.equal(edited.after.top[0].id, result.targetIds[0]);
    assert.ok(result.loss.after < result.loss.before);
    assert.equal(neighbour.prompt, NEIGHBOUR);
    assert.notDeepEqual(neighbour.after, neighbour.before, `${method}: the neighbour moves too`);
    assert.equal(result.reverted, true, `${method}: bit-identical logits without the update`);
    // The weights themselves never changed: the gradient graph predicts as before, bit for bit.
    assert.deepEqual(await engine.predictNext(PROMPT, 5), original);
    assert.ok(Math.abs(edited.before.top[0].prob - original[0].prob) < 1e-6);
  }
});

test('the sweep finds, per layer, the smallest η of the grid that makes the target the argmax', async () => {
  const etas = [3, 0.1, 1, 0.3];
  const sweep = await engine.sweepEdit({ prompt: PROMPT, target: 'Tom', method: 'forward-shift', etas });
  assert.deepEqual(sweep.etas, [0.1, 0.3, 1, 3]);
  assert.ok(sweep.before.targetRank > 0);
  assert.equal(sweep.layers.length, model.config.layers);
  const found = sweep.layers.filter((l) => l.smallestEta !== null);
  assert.ok(found.length > 0, 'some layer makes the target the argmax');
  for (const { layer, smallestEta, after } of found) {
    assert.equal(after!.targetRank, 0);
    const at = (eta: number) => engine.edit({ prompt: PROMPT, target: 'Tom', method: 'forward-shift', layers: [layer], eta });
    assert.equal((await at(smallestEta!)).prompts[0].after.targetRank, 0);
    const smaller = sweep.etas[sweep.etas.indexOf(smallestEta!) - 1];
    if (smaller !== undefined) assert.ok((await at(smaller)).prompts[0].after.targetRank > 0, `layer ${layer}: η ${smaller} already works`);
  }
});

test('a forward shift toward the current argmax is skipped, with a message', async () => {
  const result = await engine.edit({ prompt: PROMPT, target: 'Lily', method: 'forward-shift', layers: [2], eta: 1 });
  assert.match(result.skipped!, /" Lily" already is the most probable next token/);
  assert.deepEqual(result.prompts[0].after, result.prompts[0].before);
  assert.equal(result.shifts, undefined);
  const sweep = await engine.sweepEdit({ prompt: PROMPT, target: 'Lily', method: 'sgd', etas: [1] });
  assert.match(sweep.skipped!, /already is the most probable/);
});

test('bad edit requests are refused with what to change', async () => {
  const base = { prompt: PROMPT, target: 'Tom', method: 'sgd', layers: [0], eta: 1 } as const;
  const refused = async (request: object, pattern: RegExp) =>
    assert.rejects(engine.edit(request as never), (error: Error) => error instanceof InputError && pattern.test(error.message));
  await refused({ ...base, layers: [5] }, /layers must be distinct whole numbers from 0 to 4 \(the model has 5\), not \[5\]/);
  await refused({ ...base, layers: [] }, /layers must be/);
  await refused({ ...base, layers: [1, 1] }, /layers must be distinct/);
  await refused({ ...base, eta: 0 }, /eta must be a positive number, not 0/);
  await refused({ ...base, method: 'rome' }, /method must be forward-shift or sgd, not "rome"/);
  await refused({ ...base, lossMode: 'text' }, /loss mode must be paper or continuation, not "text"/);
  await refused({ ...base, neighbours: [' '] }, /neighbour prompts must be non-empty texts/);
  await refused({ ...base, etas: [1] }, /unknown property "etas"/);
  await refused({ ...base, target: ' ' }, /target is empty/);
  await assert.rejects(engine.sweepEdit({ ...base, etas: [1] } as never), /unknown property "eta"; a request may have prompt, target, method, layers, etas/);
  await assert.rejects(engine.sweepEdit({ prompt: PROMPT, target: 'Tom', method: 'sgd', etas: [] }), /the eta grid must list at least one positive number, not \[\]/);
  await assert.rejects(engine.sweepEdit({ prompt: PROMPT, target: 'Tom', method: 'sgd', etas: [1, -2] }), /every eta of the grid must be a positive number, not -2/);
});
