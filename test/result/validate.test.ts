import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultFormatError, validateResult } from '../../src/result/validate';
import { fixtureResult } from '../support/fixtureResult';

const copy = () => JSON.parse(JSON.stringify(fixtureResult()));

test('a well-formed result passes', () => {
  assert.equal(validateResult(copy()).schema, 'backward-lens/1');
});

test('other JSON is refused by name', () => {
  assert.throws(() => validateResult({ hello: 'world' }), /expected "schema": "backward-lens\/1", found undefined/);
  assert.throws(() => validateResult(null), ResultFormatError);
});

test('damaged results are refused with the place of the damage', () => {
  const missing = copy();
  delete missing.layers;
  assert.throws(() => validateResult(missing), /must have required property 'layers'/);
  const badProb = copy();
  badProb.prediction[0].prob = 7;
  assert.throws(() => validateResult(badProb), /\/prediction\/0\/prob must be <= 1/);
  const shortRow = copy();
  shortRow.layers[1].ff2.norms.pop();
  assert.throws(() => validateResult(shortRow), /layer 1 ff2 does not have one entry per token/);
  const wrongLayers = copy();
  wrongLayers.layers.pop();
  assert.throws(() => validateResult(wrongLayers), /1 layers listed for a 2-layer model/);
});

/** A backward-lens/2 file: the fixture with a neuron view and a check on both of its layers. */
function version2() {
  const cell = { norm: 1.5, top: [{ id: 10, text: ' the', prob: 0.5 }], bottom: [{ id: 13, text: 'a|b', prob: 1e-6 }], targetRank: 7 };
  const vector = (weight: string) => ({ weight, gradNorm: 0.25, before: cell, after: { ...cell, targetRank: 0 }, positions: [{ position: 3, weight: -0.2 }] });
  const neuron = (layer: number) => ({ index: 5, keys: [vector(`h.${layer}.mlp.c_fc.weight`)], value: vector(`h.${layer}.mlp.c_proj.weight`) });
  const directional = { fromFactors: 0.5, finiteDifference: 0.5001, relativeError: 2e-4, epsilon: 0.01 };
  return {
    ...copy(),
    schema: 'backward-lens/2',
    neurons: { count: 1, eta: 1, layers: [0, 1].map((layer) => ({ layer, ff1: [neuron(layer)], ff2: [neuron(layer)] })) },
    check: { seed: 1, layers: [0, 1].map((layer) => ({ layer, ff1: directional, ff2: directional })) },
  };
}

test('a backward-lens/2 result with a neuron view and a check passes; /2 without them too', () => {
  assert.equal(validateResult(version2()).schema, 'backward-lens/2');
  assert.equal(validateResult({ ...copy(), schema: 'backward-lens/2' }).neurons, undefined);
});

test('a damaged neuron view or check is refused with the place of the damage', () => {
  const noValue = version2();
  delete (noValue.neurons.layers[1].ff2[0] as { value?: unknown }).value;
  assert.throws(() => validateResult(noValue), /\/neurons\/layers\/1\/ff2\/0 must have required property 'value'/);
  const badProb = version2();
  badProb.neurons.layers[0].ff1[0].keys[0].before.top[0].prob = 2;
  assert.throws(() => validateResult(badProb), /\/neurons\/layers\/0\/ff1\/0\/keys\/0\/before\/top\/0\/prob must be <= 1/);
  const missingLayer = version2();
  missingLayer.check.layers.pop();
  assert.throws(() => validateResult(missingLayer), /the neuron view and the check need one entry per layer, in order \(2\)/);
  const farPosition = version2();
  farPosition.neurons.layers[0].ff2[0].value.positions = [{ position: 4, weight: 1 }];
  assert.throws(() => validateResult(farPosition), /a neuron's contributing position is not one of the 4 tokens/);
  assert.throws(() => validateResult({ ...version2(), schema: 'backward-lens/3' }), /expected "schema": "backward-lens\/1", found "backward-lens\/3"; this version writes "backward-lens\/2" and opens both\./);
});
