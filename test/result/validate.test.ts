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
