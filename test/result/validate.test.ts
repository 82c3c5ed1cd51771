import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESULT_LIMITS, ResultFormatError, validateResult } from '../../src/result/validate';
import { TOP_K_RANGE } from '../../src/engine/api';
import { fixtureResult, fixtureResultV2 } from '../support/fixtureResult';

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

/** A backward-lens/2 file, as plain JSON to damage. */
const version2 = () => JSON.parse(JSON.stringify(fixtureResultV2()));

test('a backward-lens/2 result with a neuron view and a check passes; /2 without them too', () => {
  assert.equal(validateResult(version2()).schema, 'backward-lens/2');
  assert.equal(validateResult({ ...copy(), schema: 'backward-lens/2' }).neurons, undefined);
});

test('gpt-neox is an architecture of backward-lens/2 only', () => {
  const neox = (schema: string) => ({ ...copy(), schema, model: { ...copy().model, architecture: 'gpt-neox' } });
  assert.equal(validateResult(neox('backward-lens/2')).model.architecture, 'gpt-neox');
  assert.throws(() => validateResult(neox('backward-lens/1')), /\/model\/architecture must be equal to one of the allowed values/);
  assert.throws(() => validateResult({ ...neox('backward-lens/2'), model: { ...copy().model, architecture: 'bert' } }), /\/model\/architecture/);
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

test('sizes are bounded, so a valid but huge file is refused fast with what is too large', () => {
  assert.equal(RESULT_LIMITS.topK, TOP_K_RANGE.max);
  const grow = (n: number) => {
    const r = copy();
    const one = <T>(v: T): T[] => new Array<T>(n).fill(v);
    r.tokens = one(r.tokens[0]);
    r.rankIds = one(30);
    r.lossWeights = one(0);
    for (const l of r.layers) for (const g of ['ff1', 'ff2']) l[g] = { norms: one(1), top: one([]), bottom: one([]), targetRank: one(1) };
    return r;
  };
  const huge = grow(200_000);
  assert.throws(() => validateResult(huge), /too large to show: 200,000 tokens \(at most 8,192\)/);
  assert.throws(() => validateResult(grow(40_000)), /40,000 tokens/);
  const deep = grow(100);
  deep.model.layers = deep.layers.length * 1000;
  deep.layers = Array.from({ length: 2000 }, (_, layer) => ({ ...deep.layers[0], layer }));
  assert.throws(() => validateResult(deep), /too large to show: 2,000 layers \(at most 1,024\)/);
  const wide = grow(8000);
  wide.model.layers = 10;
  wide.layers = Array.from({ length: 10 }, (_, layer) => ({ ...wide.layers[0], layer }));
  assert.throws(() => validateResult(wide), /80,000 cells in each grid, 8,000 tokens × 10 layers \(at most 65,536\)/);
  const topK = copy();
  topK.lens.topK = 100_000;
  assert.throws(() => validateResult(topK), /100,000 tokens a cell \(top-k\) \(at most 256\)/);
  const longList = copy();
  longList.layers[0].ff1.top[0] = Array.from({ length: 3 }, () => longList.layers[0].ff1.top[0][0]);
  assert.throws(() => validateResult(longList), /layer 0 lists 3 tokens in a cell of top-k 2/);
  const longToken = copy();
  longToken.tokens[1].text = 'x'.repeat(5000);
  assert.throws(() => validateResult(longToken), /5,000 characters in one token \(at most 1,024\)/);
  assert.equal(validateResult(grow(8192)).tokens.length, 8192);
});
