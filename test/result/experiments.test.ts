import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSummary, contributingPositions, weightShortName } from '../../src/result/experiments';
import { headerFacts } from '../../src/result/view';
import { fixtureResult, fixtureResultV2 } from '../support/fixtureResult';

test('a check under 1e-3 everywhere passes and names its worst layer; all layers are in the explanation', () => {
  const s = checkSummary(fixtureResultV2([1e-4, 3e-4]).check!);
  assert.equal(s.passed, true);
  assert.deepEqual(s.worst, { layer: 1, grid: 'ff1', error: 3e-4 });
  assert.equal(s.text, '✓ passed · worst relative error 3.0e-4 (layer 1 FF1) · threshold 1.0e-3');
  assert.match(s.explanation, /layer 0: FF1 1\.0e-4, FF2 2\.0e-4; layer 1: FF1 3\.0e-4, FF2 2\.0e-4\.$/);
});

test('an error at the threshold, or a NaN, fails and is the worst', () => {
  const atThreshold = checkSummary(fixtureResultV2([1e-3, 2e-4]).check!);
  assert.equal(atThreshold.passed, false);
  assert.match(atThreshold.text, /^✗ failed in 1 of 4 · worst relative error 1\.0e-3 \(layer 0 FF1\)/);
  const nan = checkSummary(fixtureResultV2([0.5, NaN]).check!);
  assert.deepEqual([nan.passed, nan.worst.layer, nan.failing.length], [false, 1, 2]);
});

test('the header carries the check when the result has one, marked by its verdict', () => {
  assert.equal(headerFacts(fixtureResult(), false).find((f) => f.key === 'gradient-check'), undefined);
  const pass = headerFacts(fixtureResultV2(), false).find((f) => f.key === 'gradient-check')!;
  assert.deepEqual([pass.label, pass.verdict, pass.notable], ['Gradient check', 'pass', false]);
  const fail = headerFacts(fixtureResultV2([2e-3, 2e-4]), false).find((f) => f.key === 'gradient-check')!;
  assert.deepEqual([fail.verdict, fail.notable], ['fail', true]);
});

test('a weight is named by its last part before .weight', () => {
  assert.equal(weightShortName('model.layers.3.mlp.gate_proj.weight'), 'gate_proj');
  assert.equal(weightShortName('h.0.mlp.c_fc.weight'), 'c_fc');
});

test('a vector contributes at the positions whose terms are not zero', () => {
  const v = fixtureResultV2().neurons!.layers[0].ff1[0].keys[0];
  assert.deepEqual(contributingPositions({ ...v, positions: [{ position: 3, weight: -0.2 }, { position: 0, weight: 0 }] }), [{ position: 3, weight: -0.2 }]);
});
