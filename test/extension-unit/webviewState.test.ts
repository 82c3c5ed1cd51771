import test from 'node:test';
import assert from 'node:assert/strict';
import type { PersistedState } from '../../src/protocol/messages';
import { changesFor, Store, type PageState } from '../../src/webview/state';
import { fixtureResult } from '../support/fixtureResult';

const show = { type: 'show' as const, result: fixtureResult(), capabilities: { reanalyze: true, reveal: true, save: true, history: true }, historyId: 1 };

test('the page does not draw a persisted result: it waits for the host, which validates it', () => {
  const saved: PersistedState[] = [];
  const drawn: PageState[] = [];
  const store = new Store({ getState: () => ({ version: 1, reading: 'top', layout: 'compact', show }), setState: (s) => saved.push(s) }, (s) => drawn.push(s));
  assert.equal(store.state.show, undefined);
  assert.deepEqual([store.state.reading, store.state.layout], ['top', 'compact']);
  store.set(changesFor(store.state, { type: 'history', entries: [{ id: 1, label: 'a' }] }));
  assert.deepEqual(saved, [], 'nothing persisted changed, so the persisted result stays for the serializer');
  store.set(changesFor(store.state, show));
  assert.equal(drawn[drawn.length - 1].show, show);
  assert.deepEqual(saved, [{ version: 1, show, reading: 'top', selectedPosition: undefined, layout: 'compact' }]);
});

test('a fresh page emphasizes what the update writes', () => {
  const store = new Store({ getState: () => undefined, setState: () => undefined }, () => undefined);
  assert.equal(store.state.reading, 'update');
  assert.deepEqual(store.state.history, []);
});

test('a reference opens the compare view and clears the status line; a new result keeps it', () => {
  const state: PageState = { version: 1, reading: 'update', waiting: 0, history: [], show, status: { text: 'Comparing…' } };
  const reference = { type: 'reference' as const, label: 'earlier', result: fixtureResult() };
  const changes = changesFor(state, reference);
  assert.deepEqual(changes, { reference: { label: 'earlier', result: reference.result }, status: undefined });
  assert.equal('reference' in changesFor({ ...state, ...changes }, show), false);
});

test('a persisted reference is not drawn but handed back to the host; an open compare view and the edit form are persisted', () => {
  const reference = { label: 'earlier', result: fixtureResult() };
  const editForm = { method: 'sgd' as const, eta: '1', neighbours: ['The sun was'] };
  const saved: PersistedState[] = [];
  const store = new Store({ getState: () => ({ version: 1, reading: 'update', show, reference, editForm }), setState: (s) => saved.push(s) }, () => undefined);
  assert.equal(store.state.reference, undefined, 'the host validates it first');
  assert.deepEqual(store.persistedReference, reference);
  assert.deepEqual(store.state.editForm, editForm, 'typed text is drawn as text: no validation needed');
  store.set(changesFor(store.state, show));
  store.set(changesFor(store.state, { type: 'reference', ...reference }));
  assert.deepEqual(saved.at(-1), { version: 1, show, reading: 'update', selectedPosition: undefined, reference, editForm });
  const neighbours = { ...editForm, neighbours: [...editForm.neighbours, 'Once upon a time'] };
  store.set({ editForm: neighbours });
  assert.deepEqual(saved.at(-1)?.editForm, neighbours);
  store.set({ reference: undefined });
  assert.equal('reference' in saved.at(-1)!, false, 'a closed compare view stays closed');
  assert.equal(saved.length, 4);
});
