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
