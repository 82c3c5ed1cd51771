import test from 'node:test';
import assert from 'node:assert/strict';
import type { PersistedState, ShowMessage } from '../../src/protocol/messages';
import { revertedView, runningView } from '../../src/webview/editState';
import { changesFor, Store } from '../../src/webview/state';
import { fixturePreview, fixtureSweep, resultWithFixtureEdits } from '../support/editFixtures';
import { fixtureResult } from '../support/fixtureResult';

const capabilities = { reanalyze: true, reveal: true, save: true, history: true, edit: true };
const plain: ShowMessage = { type: 'show', result: { ...fixtureResult(), schema: 'backward-lens/2' }, capabilities };

function page() {
  const saved: PersistedState[] = [];
  const store = new Store({ getState: () => undefined, setState: (s) => saved.push(s) }, () => undefined);
  store.set(changesFor(store.state, plain));
  return { store, saved };
}

test('a shown result brings its saved edits; a result without them starts with none', () => {
  const { store } = page();
  assert.deepEqual(store.state.edit, { edits: { previews: [], sweeps: [] }, reverted: false });
  const withEdits: ShowMessage = { ...plain, result: resultWithFixtureEdits() };
  store.set(changesFor(store.state, withEdits));
  assert.equal(store.state.edit?.edits, withEdits.result.edits);
});

test('a run is marked running until the host answers; its answer shows the new edit, not reverted', () => {
  const { store } = page();
  store.set({ edit: runningView(store.state.edit, 'edit', plain) });
  assert.equal(store.state.edit?.running, 'edit');
  store.set({ edit: revertedView(store.state.edit!) });
  const edits = { previews: [fixturePreview()], sweeps: [] };
  store.set(changesFor(store.state, { type: 'edited', edits, requestId: 1 }));
  assert.deepEqual(store.state.edit, { edits, reverted: false });
  store.set({ edit: runningView(store.state.edit, 'sweep', plain) });
  store.set(changesFor(store.state, { type: 'error', message: 'Cancelled.' }));
  assert.deepEqual(store.state.edit, { edits, reverted: false, running: undefined }, 'an error ends the run and keeps the edits');
});

test('revert shows the original read-out again and keeps the edits that ran', () => {
  const { store } = page();
  const edits = { previews: [fixturePreview()], sweeps: [] };
  store.set(changesFor(store.state, { type: 'edited', edits }));
  store.set({ edit: revertedView(store.state.edit!) });
  assert.equal(store.state.edit?.reverted, true);
  assert.equal(store.state.edit?.edits, edits);
});

test('a sweep answered after a revert leaves the original read-out shown; a new preview shows its own', () => {
  const { store } = page();
  const edits = { previews: [fixturePreview()], sweeps: [] };
  store.set(changesFor(store.state, { type: 'edited', edits }));
  store.set({ edit: revertedView(store.state.edit!) });
  const swept = structuredClone({ ...edits, sweeps: [fixtureSweep()] });
  store.set(changesFor(store.state, { type: 'edited', edits: swept }));
  assert.equal(store.state.edit?.reverted, true);
  store.set(changesFor(store.state, { type: 'edited', edits: { ...swept, previews: [...swept.previews, fixturePreview({ eta: 1 })] } }));
  assert.equal(store.state.edit?.reverted, false);
});

test('the page persists the result with its edits, so a reloaded panel shows them again', () => {
  const { store, saved } = page();
  assert.equal(saved.at(-1)?.show, plain, 'no edits: the result is persisted as shown');
  const edits = { previews: [fixturePreview()], sweeps: [] };
  store.set(changesFor(store.state, { type: 'edited', edits }));
  assert.equal(saved.length, 2);
  assert.deepEqual(saved.at(-1)?.show?.result.edits, edits);
  assert.equal(store.state.show, plain, 'the shown result itself is not replaced, so the grids are not redrawn');
  store.set({ edit: revertedView(store.state.edit!) });
  assert.equal(saved.length, 2, 'a revert changes nothing persisted');
});
