import test from 'node:test';
import assert from 'node:assert/strict';
import { EDIT_TOP_K, editRequest, sweepRequest } from '../../src/extension/editRequest';
import { fixtureResult } from '../support/fixtureResult';

const model = '/models/fixture';

test('an edit runs on the shown result\'s prompt, target, loss and precision', () => {
  const result = fixtureResult({ matmuls: 'float16' });
  const request = editRequest(result, { method: 'sgd', layers: [1], eta: 0.5, neighbours: ['n'] }, model, 128);
  assert.deepEqual(request, { prompt: result.prompt, target: result.target, lossMode: result.lossMode, topK: EDIT_TOP_K, matmuls: 'float16', maxTokens: 128, method: 'sgd', layers: [1], eta: 0.5, neighbours: ['n'] });
  assert.deepEqual(sweepRequest(result, { method: 'forward-shift', etas: [1, 10] }, model, 64).etas, [1, 10]);
});

test('a training-text result, or one from another model than the active one, is refused with what to do', () => {
  assert.throws(() => editRequest(fixtureResult({ lossMode: 'text' }), { method: 'sgd', layers: [0], eta: 1, neighbours: [] }, model, 128), /analysed training text/);
  assert.throws(() => sweepRequest(fixtureResult(), { method: 'sgd', etas: [1] }, '/models/other', 128), /the active model is \/models\/other\. Select that model/);
});
