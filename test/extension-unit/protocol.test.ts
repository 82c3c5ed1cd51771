import test from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMessage, parseOrigin, parsePersistedState, parseWebviewMessage } from '../../src/protocol/messages';
import { fixtureResult } from '../support/fixtureResult';

test('webview messages are validated, not trusted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'save', requestId: 3, extra: 'dropped' }), { type: 'save', requestId: 3 });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', position: 2 }), { type: 'reveal', position: 2 });
  assert.deepEqual(parseWebviewMessage({ type: 'reanalyze', requestId: 1, normalized: true }), { type: 'reanalyze', requestId: 1, normalized: true });
  assert.deepEqual(parseWebviewMessage({ type: 'open', historyId: 2, newPanel: true }), { type: 'open', historyId: 2, newPanel: true });
  for (const bad of [null, 'ready', {}, { type: 'reveal', position: -1 }, { type: 'reveal', position: 1.5 }, { type: 'save' }, { type: 'reanalyze', requestId: 1, normalized: 'yes' }, { type: 'eval', code: '1' }, { type: 'open', historyId: -1, newPanel: false }, { type: 'open', historyId: 1 }]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('host messages round-trip through structured clone', () => {
  const show = { type: 'show' as const, result: fixtureResult(), capabilities: { reanalyze: true, reveal: false, save: true }, requestId: 4 };
  assert.deepEqual(parseHostMessage(structuredClone(show)), show);
  assert.deepEqual(parseHostMessage({ type: 'busy' }), { type: 'busy' });
  assert.equal(parseHostMessage({ type: 'error' }), undefined);
  assert.equal(parseHostMessage({ type: 'show', result: null, capabilities: {} }), undefined);
  const history = { type: 'history' as const, entries: [{ id: 1, label: 'paper: “Once”' }] };
  assert.deepEqual(parseHostMessage(structuredClone(history)), history);
  assert.equal(parseHostMessage({ type: 'history', entries: [{ id: 'x', label: 1 }] }), undefined);
});

test('persisted state survives reloads and rejects other versions', () => {
  const show = { type: 'show' as const, result: fixtureResult(), capabilities: { reanalyze: true, reveal: true, save: true } };
  const state = parsePersistedState(structuredClone({ version: 1, show, reading: 'top', selectedPosition: 2 }));
  assert.deepEqual(state, { version: 1, show, reading: 'top', selectedPosition: 2 });
  assert.equal(parsePersistedState({ version: 2, reading: 'top' }), undefined);
  // The default emphasis is what the update writes (FF1 top, FF2 bottom).
  assert.deepEqual(parsePersistedState({ version: 1, reading: 'sideways', selectedPosition: 'x', layout: 'diagonal' }), {
    version: 1,
    show: undefined,
    reading: 'update',
    selectedPosition: undefined,
  });
  assert.equal(parsePersistedState({ version: 1, reading: 'bottom', layout: 'compact' })?.layout, 'compact');
});

test('an origin is taken from restored state only when it has the shape of one', () => {
  assert.deepEqual(parseOrigin({ uri: 'file:///a.txt', offset: 3, extra: 1 }), { uri: 'file:///a.txt', offset: 3 });
  for (const bad of [undefined, null, { uri: 1, offset: 0 }, { uri: 'x', offset: -1 }]) assert.equal(parseOrigin(bad), undefined);
});

test('experiment and compare requests are validated; a reference result comes back as sent', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'experiment', requestId: 2, neurons: 5 }), { type: 'experiment', requestId: 2, neurons: 5 });
  assert.deepEqual(parseWebviewMessage({ type: 'experiment', requestId: 2, check: true, extra: 1 }), { type: 'experiment', requestId: 2, check: true });
  assert.deepEqual(parseWebviewMessage({ type: 'compare', requestId: 3 }), { type: 'compare', requestId: 3 });
  assert.deepEqual(parseWebviewMessage({ type: 'compare', requestId: 3, historyId: 1 }), { type: 'compare', requestId: 3, historyId: 1 });
  for (const bad of [{ type: 'experiment', requestId: 1, neurons: 0 }, { type: 'experiment', requestId: 1, neurons: 2.5 }, { type: 'experiment', requestId: 1, check: 'yes' }, { type: 'experiment', neurons: 5 }, { type: 'compare', requestId: 1, historyId: -2 }]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
  const reference = { type: 'reference' as const, label: 'a.blens.json', result: fixtureResult(), requestId: 3 };
  assert.deepEqual(parseHostMessage(structuredClone(reference)), reference);
  assert.equal(parseHostMessage({ type: 'reference', label: 'x', result: null }), undefined);
});

test('a persisted compare view and edit form round-trip; crafted ones are dropped, the rest kept', () => {
  const reference = { label: 'backward-lens/a.blens.json', result: fixtureResult() };
  const editForm = { method: 'sgd' as const, eta: '0.5', neighbours: ['Once upon a time, a boy named', 'The sun was'] };
  assert.deepEqual(parsePersistedState(structuredClone({ version: 1, reading: 'top', reference, editForm })), { version: 1, show: undefined, reading: 'top', selectedPosition: undefined, reference, editForm });
  const craftedReferences = [null, 'a.blens.json', { label: 1, result: fixtureResult() }, { label: 'x', result: null }, { label: 'x' }];
  const tooMany = Array.from({ length: 33 }, (_, i) => `p${i}`);
  const craftedForms = [null, { ...editForm, method: 'rome' }, { ...editForm, eta: 0.5 }, { ...editForm, neighbours: 'x' }, { ...editForm, neighbours: [1] }, { ...editForm, neighbours: tooMany }, { ...editForm, neighbours: ['a', 'a'] }, { ...editForm, neighbours: [' '] }];
  for (const bad of craftedReferences) assert.deepEqual(parsePersistedState({ version: 1, reading: 'top', reference: bad, editForm })?.editForm, editForm, JSON.stringify(bad));
  for (const bad of craftedReferences) assert.equal('reference' in parsePersistedState({ version: 1, reading: 'top', reference: bad })!, false, JSON.stringify(bad));
  for (const bad of craftedForms) assert.deepEqual(parsePersistedState({ version: 1, reading: 'top', reference, editForm: bad }), { version: 1, show: undefined, reading: 'top', selectedPosition: undefined, reference }, JSON.stringify(bad));
});

test('a reloaded page’s ready carries its persisted reference, when it has the shape of one', () => {
  const reference = { label: 'earlier', result: fixtureResult() };
  assert.deepEqual(parseWebviewMessage(structuredClone({ type: 'ready', reference })), { type: 'ready', reference });
  assert.deepEqual(parseWebviewMessage({ type: 'ready', reference: { label: 'earlier', result: 'x' } }), { type: 'ready' });
});
