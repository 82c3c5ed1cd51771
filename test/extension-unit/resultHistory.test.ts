import test from 'node:test';
import assert from 'node:assert/strict';
import { ResultHistory } from '../../src/extension/resultHistory';
import { restoredReference, restoredShown } from '../../src/extension/restoredState';
import { fixtureResult } from '../support/fixtureResult';

test('the session’s results stay reachable, most recent first, the latest 20', () => {
  const history = new ResultHistory<{ result: ReturnType<typeof fixtureResult> }>();
  const first = history.keep({ result: fixtureResult() });
  const second = history.keep({ result: fixtureResult({ lossMode: 'text', lossWeights: [1 / 3, 1 / 3, 1 / 3, 0] }) });
  assert.deepEqual([first.historyId, second.historyId], [1, 2]);
  assert.equal(history.get(1)?.result.lossMode, 'paper');
  const entries = history.entries();
  assert.deepEqual(entries.map((e) => e.id), [2, 1]);
  assert.match(entries[0].label, /^\d\d:\d\d · training text: “Once upon a” \(4 tokens\)$/);
  assert.match(entries[1].label, /^\d\d:\d\d · paper: “Once upon a” → ␣time$/);
  for (let i = 0; i < 25; i++) history.keep({ result: fixtureResult() });
  assert.equal(history.entries().length, ResultHistory.LIMIT);
  assert.equal(history.get(1), undefined);
});

test('a result that gained edits replaces its kept entry, under the same id', () => {
  const history = new ResultHistory<{ result: ReturnType<typeof fixtureResult> }>();
  const kept = history.keep({ result: fixtureResult() });
  history.keep({ result: fixtureResult() });
  const edited = { ...kept, result: fixtureResult({ target: ' Tom' }) };
  history.replace(edited);
  assert.equal(history.get(kept.historyId), edited);
  assert.deepEqual(history.entries().map((e) => e.id), [2, 1]);
  history.replace({ ...edited, historyId: 99 });
  assert.equal(history.get(99), undefined, 'an entry no longer kept is not brought back');
});

test('a restored panel’s result is validated like an opened file before anything is drawn', () => {
  const show = { type: 'show', result: JSON.parse(JSON.stringify(fixtureResult())), capabilities: {}, origin: { uri: 'file:///a.txt', offset: 2 } };
  const ok = restoredShown({ version: 1, reading: 'update', show });
  assert.equal(ok.problem, undefined);
  assert.deepEqual(ok.shown?.origin, { uri: 'file:///a.txt', offset: 2 });
  assert.deepEqual(restoredShown(undefined), {});
  assert.deepEqual(restoredShown({ version: 1, reading: 'update' }), {});
  const damaged = structuredClone(show);
  damaged.result.layers[0].ff1.norms = 'many';
  assert.match(restoredShown({ version: 1, reading: 'update', show: damaged }).problem ?? '', /^The restored panel's result was not shown\. Damaged Backward Lens result: \/layers\/0\/ff1\/norms must be array/);
  const huge = structuredClone(show);
  huge.result.tokens = new Array(200_000).fill(huge.result.tokens[0]);
  assert.match(restoredShown({ version: 1, reading: 'update', show: huge }).problem ?? '', /too large to show: 200,000 tokens/);
});

test('a reloaded page’s compare view reference is validated like its result; a damaged one is dropped with a reason', () => {
  const result = JSON.parse(JSON.stringify(fixtureResult()));
  assert.deepEqual(restoredReference({ label: 'earlier', result }), { reference: { label: 'earlier', result } });
  const damaged = structuredClone(result);
  damaged.layers[0].ff2.top = 'many';
  const dropped = restoredReference({ label: 'earlier', result: damaged });
  assert.match('problem' in dropped ? dropped.problem : '', /^The restored compare view was not shown\. Damaged Backward Lens result: \/layers\/0\/ff2\/top must be array/);
});
