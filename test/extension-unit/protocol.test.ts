import test from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMessage, parsePersistedState, parseWebviewMessage } from '../../src/protocol/messages';
import { fixtureResult } from '../support/fixtureResult';

test('webview messages are validated, not trusted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'save', requestId: 3, extra: 'dropped' }), { type: 'save', requestId: 3 });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', position: 2 }), { type: 'reveal', position: 2 });
  assert.deepEqual(parseWebviewMessage({ type: 'reanalyze', requestId: 1, normalized: true }), { type: 'reanalyze', requestId: 1, normalized: true });
  for (const bad of [null, 'ready', {}, { type: 'reveal', position: -1 }, { type: 'reveal', position: 1.5 }, { type: 'save' }, { type: 'reanalyze', requestId: 1, normalized: 'yes' }, { type: 'eval', code: '1' }]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('host messages round-trip through structured clone', () => {
  const show = { type: 'show' as const, result: fixtureResult(), capabilities: { reanalyze: true, reveal: false, save: true }, requestId: 4 };
  assert.deepEqual(parseHostMessage(structuredClone(show)), show);
  assert.deepEqual(parseHostMessage({ type: 'busy' }), { type: 'busy' });
  assert.equal(parseHostMessage({ type: 'error' }), undefined);
  assert.equal(parseHostMessage({ type: 'show', result: null, capabilities: {} }), undefined);
});

test('persisted state survives reloads and rejects other versions', () => {
  const show = { type: 'show' as const, result: fixtureResult(), capabilities: { reanalyze: true, reveal: true, save: true } };
  const state = parsePersistedState(structuredClone({ version: 1, show, reading: 'top', selectedPosition: 2 }));
  assert.deepEqual(state, { version: 1, show, reading: 'top', selectedPosition: 2 });
  assert.equal(parsePersistedState({ version: 2, reading: 'top' }), undefined);
  assert.deepEqual(parsePersistedState({ version: 1, reading: 'sideways', selectedPosition: 'x' }), {
    version: 1,
    show: undefined,
    reading: 'bottom',
    selectedPosition: undefined,
  });
});
