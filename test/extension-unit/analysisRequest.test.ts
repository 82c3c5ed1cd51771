import test from 'node:test';
import assert from 'node:assert/strict';
import { analysisRequest, rerunRequest, rerunResult, resultExperiments } from '../../src/extension/analysisRequest';
import { DEFAULT_SETTINGS } from '../../src/extension/settings';
import { resultWithFixtureEdits } from '../support/editFixtures';
import { fixtureResult, fixtureResultV2 } from '../support/fixtureResult';

test('a new analysis takes the lens options from the settings', () => {
  const settings = { ...DEFAULT_SETTINGS, topK: 7, projection: 'float16' as const, maxTokens: 64 };
  assert.deepEqual(analysisRequest(settings, { prompt: 'Once upon', target: ' a', lossMode: 'paper' }), {
    prompt: 'Once upon',
    target: ' a',
    lossMode: 'paper',
    topK: 7,
    projection: 'float16',
    matmuls: 'float32',
    maxTokens: 64,
  });
});

test('a re-run repeats the result’s own analysis, only the lens normalization and token limit are new', () => {
  const result = fixtureResult({ matmuls: 'float16', lens: { topK: 2, normalized: false, projection: 'float16' } });
  assert.deepEqual(rerunRequest(result, true, '/models/fixture', 32), {
    prompt: 'Once upon a',
    target: ' time',
    lossMode: 'paper',
    normalized: true,
    topK: 2,
    projection: 'float16',
    matmuls: 'float16',
    maxTokens: 32,
  });
  // The engine reports the weight file; the setting may name its folder.
  const fromFile = fixtureResult({ model: { ...result.model, source: '/models/fixture/model.bin' } });
  assert.equal(rerunRequest(fromFile, false, '/models/fixture', 32).normalized, false);
  assert.throws(() => rerunRequest(result, true, '/models/other', 32), /came from \/models\/fixture; the active model is \/models\/other/);
});

test('a re-run keeps the neuron view and the check the result has, and adds the ones asked for', () => {
  const plain = fixtureResult();
  assert.deepEqual(resultExperiments(plain), {});
  assert.equal(rerunRequest(plain, false, '/models/fixture', 32).neurons, undefined);
  const withCheck = rerunRequest(plain, false, '/models/fixture', 32, { check: true });
  assert.deepEqual([withCheck.check, withCheck.neurons], [true, undefined]);
  const v2 = fixtureResultV2();
  assert.deepEqual(resultExperiments(v2), { neurons: 1, eta: 1, check: true });
  const normalized = rerunRequest(v2, true, '/models/fixture', 32);
  assert.deepEqual([normalized.normalized, normalized.neurons, normalized.eta, normalized.check], [true, 1, 1, true]);
  assert.equal(rerunRequest(v2, false, '/models/fixture', 32, { neurons: 5 }).neurons, 5, 'a new N replaces the kept one');
});

test('a re-run’s result keeps the edits of the result it re-ran: they do not depend on the lens or the experiments', () => {
  const shown = resultWithFixtureEdits();
  const rerun = fixtureResultV2();
  assert.deepEqual(rerunResult(rerun, shown), { ...rerun, edits: shown.edits });
  assert.equal(rerunResult(rerun, fixtureResult()), rerun, 'no edits: the re-run as it came');
});
