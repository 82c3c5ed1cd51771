import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EDIT_LIMITS, resultWithEdits, withPreview, withSweep } from '../../src/result/savedEdits';
import { validateResult } from '../../src/result/validate';
import { fixturePreview, fixtureSweep, resultWithFixtureEdits } from '../support/editFixtures';
import { fixtureResult } from '../support/fixtureResult';

const copy = () => JSON.parse(JSON.stringify(resultWithFixtureEdits()));

test('a backward-lens/2 result with edits passes; /1 and /2 files without them still open', () => {
  assert.deepEqual(validateResult(copy()).edits?.sweeps[0].layers.map((l) => l.smallestEta), [null, 1]);
  assert.equal(validateResult(fixtureResult()).edits, undefined);
  assert.equal(validateResult({ ...fixtureResult(), schema: 'backward-lens/2' }).edits, undefined);
});

test('damaged edits are refused with the place of the damage', () => {
  const badProb = copy();
  badProb.edits.previews[0].prompts[1].after.targetProb = 1.5;
  assert.throws(() => validateResult(badProb), /\/edits\/previews\/0\/prompts\/1\/after\/targetProb must be <= 1/);
  const noSweeps = copy();
  delete noSweeps.edits.sweeps;
  assert.throws(() => validateResult(noSweeps), /\/edits must have required property 'sweeps'/);
  const badMethod = copy();
  badMethod.edits.sweeps[0].method = 'rome';
  assert.throws(() => validateResult(badMethod), /\/edits\/sweeps\/0\/method must be equal to one of the allowed values/);
  const zeroEta = copy();
  zeroEta.edits.previews[0].eta = 0;
  assert.throws(() => validateResult(zeroEta), /\/edits\/previews\/0\/eta must be > 0/);
  const noLayer = copy();
  noLayer.edits.sweeps[0].layers[1].layer = 2;
  assert.throws(() => validateResult(noLayer), /an edit names a layer the 2-layer model does not have/);
  const wrongSchema = { ...copy(), schema: 'backward-lens/1' };
  assert.throws(() => validateResult(wrongSchema), /edits are part of "backward-lens\/2" files, not of "backward-lens\/1" ones/);
});

test('edits beyond the limits are refused', () => {
  const many = copy();
  many.edits.previews = Array.from({ length: EDIT_LIMITS.runs + 1 }, () => fixturePreview());
  assert.throws(() => validateResult(many), /more than 50 edit previews or sweeps/);
  const longGrid = copy();
  longGrid.edits.sweeps[0].etas = Array.from({ length: EDIT_LIMITS.etas + 1 }, (_, i) => i + 1);
  assert.throws(() => validateResult(longGrid), /grid has more than 64 values of η/);
  const longToken = copy();
  longToken.edits.previews[0].prompts[0].after.top[0].text = 'x'.repeat(2000);
  assert.throws(() => validateResult(longToken), /an edit's token is longer than 1024 characters/);
});

test('runs are appended, and only the latest of each kind are kept', () => {
  let edits = withSweep(undefined, fixtureSweep());
  for (let i = 0; i < EDIT_LIMITS.runs + 2; i++) edits = withPreview(edits, fixturePreview({ eta: i + 1 }));
  assert.equal(edits.previews.length, EDIT_LIMITS.runs);
  assert.deepEqual([edits.previews[0].eta, edits.previews.at(-1)?.eta], [3, EDIT_LIMITS.runs + 2]);
  assert.equal(edits.sweeps.length, 1);
  assert.equal(validateResult(JSON.parse(JSON.stringify(resultWithEdits({ ...fixtureResult(), schema: 'backward-lens/2' }, edits)))).edits?.previews.length, EDIT_LIMITS.runs);
  const plain = fixtureResult();
  assert.equal(resultWithEdits(plain, { previews: [], sweeps: [] }), plain, 'no runs: the result is saved as it was');
});
