import test from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/messages';
import { Host } from '../../src/webview/host';
import { resultWithFixtureEdits } from '../support/editFixtures';

const choice = { method: 'forward-shift', layers: [4], eta: 0.3, neighbours: ['Once upon a time, there was a boy named'] };

test('edit, sweep and cancel requests are validated, not trusted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'edit', requestId: 2, choice: { ...choice, extra: 1 } }), { type: 'edit', requestId: 2, choice });
  assert.deepEqual(parseWebviewMessage({ type: 'sweep', requestId: 3, choice: { method: 'sgd', etas: [0.1, 1] } }), { type: 'sweep', requestId: 3, choice: { method: 'sgd', etas: [0.1, 1] } });
  assert.deepEqual(parseWebviewMessage({ type: 'cancel', requestId: 9 }), { type: 'cancel' });
  for (const bad of [
    { type: 'edit', choice },
    { type: 'edit', requestId: 1 },
    { type: 'edit', requestId: 1, choice: { ...choice, method: 'rome' } },
    { type: 'edit', requestId: 1, choice: { ...choice, method: 'toString' } },
    { type: 'edit', requestId: 1, choice: { ...choice, layers: [1.5] } },
    { type: 'edit', requestId: 1, choice: { ...choice, layers: 4 } },
    { type: 'edit', requestId: 1, choice: { ...choice, eta: 0 } },
    { type: 'edit', requestId: 1, choice: { ...choice, eta: Infinity } },
    { type: 'edit', requestId: 1, choice: { ...choice, neighbours: [3] } },
    { type: 'edit', requestId: 1, choice: { ...choice, neighbours: Array(2000).fill('a') } },
    { type: 'sweep', requestId: 1, choice: { method: 'sgd', etas: [] } },
    { type: 'sweep', requestId: 1, choice: { method: 'sgd', etas: [1, -1] } },
  ]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad).slice(0, 120));
  }
});

test('the host answers a run with the result\'s edits; the page\'s request settles on it', async () => {
  const edits = resultWithFixtureEdits().edits!;
  const edited = { type: 'edited' as const, edits, requestId: 1 };
  assert.deepEqual(parseHostMessage(structuredClone(edited)), edited);
  assert.equal(parseHostMessage({ type: 'edited', edits: { previews: [] } }), undefined);
  assert.equal(parseHostMessage({ type: 'edited' }), undefined);
  const posted: unknown[] = [];
  const host = new Host((m) => posted.push(m), () => undefined);
  const run = host.request({ type: 'sweep', choice: { method: 'forward-shift', etas: [1] } });
  assert.deepEqual(posted, [{ type: 'sweep', requestId: 1, choice: { method: 'forward-shift', etas: [1] } }]);
  host.receive(edited);
  assert.equal((await run).edits, edits);
  const wrong = host.request({ type: 'edit', choice: { method: 'sgd', layers: [0], eta: 1, neighbours: [] } });
  host.receive({ type: 'saved', label: 'x', requestId: 2 });
  await assert.rejects(wrong, /The host answered edit with saved/);
});
