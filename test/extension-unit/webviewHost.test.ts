import test from 'node:test';
import assert from 'node:assert/strict';
import type { HostToWebview, ShowMessage, WebviewToHost } from '../../src/protocol/messages';
import { Host } from '../../src/webview/host';
import { fixtureResult } from '../support/fixtureResult';

function connect(): { host: Host; posted: WebviewToHost[]; notices: HostToWebview[] } {
  const posted: WebviewToHost[] = [];
  const notices: HostToWebview[] = [];
  return { host: new Host((m) => posted.push(m), (m) => notices.push(m)), posted, notices };
}

const show = (requestId?: number): ShowMessage => ({
  type: 'show',
  result: fixtureResult(),
  capabilities: { reanalyze: true, reveal: true, save: true, history: true },
  requestId,
});

test('a request is answered by the host message with its id', async () => {
  const { host, posted, notices } = connect();
  const saved = host.request({ type: 'save' });
  const rerun = host.request({ type: 'reanalyze', normalized: true });
  assert.deepEqual(posted, [
    { type: 'save', requestId: 1 },
    { type: 'reanalyze', requestId: 2, normalized: true },
  ]);
  assert.equal(host.waiting, 2);
  host.receive(show(2));
  host.receive({ type: 'saved', label: 'backward-lens/a.blens.json', requestId: 1 });
  assert.equal((await rerun).requestId, 2);
  assert.equal((await saved).label, 'backward-lens/a.blens.json');
  assert.equal(host.waiting, 0);
  assert.deepEqual(notices, []);
});

test('an error answer rejects its request; so does an answer of the wrong kind', async () => {
  const { host } = connect();
  const saved = host.request({ type: 'save' });
  const rerun = host.request({ type: 'reanalyze', normalized: false });
  host.receive({ type: 'error', message: 'Not saved.', requestId: 1 });
  host.receive({ type: 'saved', label: 'x', requestId: 2 });
  await assert.rejects(saved, { message: 'Not saved.' });
  await assert.rejects(rerun, { message: 'The host answered reanalyze with saved.' });
  assert.equal(host.waiting, 0);
});

test('a result no request waits for is dropped; other messages are notices for the page', () => {
  const { host, notices } = connect();
  void host.request({ type: 'save' });
  host.receive({ type: 'saved', label: 'x', requestId: 1 });
  void host.request({ type: 'save' });
  host.receive(show(1));
  host.receive(show(7));
  assert.deepEqual(notices, []);
  assert.equal(host.waiting, 1);
  const pushed = show();
  const notes: HostToWebview[] = [
    pushed,
    { type: 'busy', step: 'Running' },
    { type: 'error', message: 'No model.' },
    { type: 'error', message: 'Cancelled.', requestId: 8 },
    { type: 'saved', label: 'again', requestId: 1 },
  ];
  notes.forEach((m) => host.receive(m));
  assert.deepEqual(notices, notes);
  assert.equal(host.waiting, 1);
});

test('an experiment re-run is answered by show, a compare by its reference; a stale reference is dropped', async () => {
  const { host, posted, notices } = connect();
  const rerun = host.request({ type: 'experiment', neurons: 5 });
  const compared = host.request({ type: 'compare', historyId: 3 });
  assert.deepEqual(posted, [
    { type: 'experiment', requestId: 1, neurons: 5 },
    { type: 'compare', requestId: 2, historyId: 3 },
  ]);
  host.receive({ type: 'reference', label: 'earlier', result: fixtureResult(), requestId: 2 });
  host.receive(show(1));
  assert.equal((await compared).label, 'earlier');
  assert.equal((await rerun).type, 'show');
  const wrong = host.request({ type: 'compare' });
  host.receive(show(3));
  await assert.rejects(wrong, /The host answered compare with show/);
  host.receive({ type: 'reference', label: 'stale', result: fixtureResult(), requestId: 99 });
  assert.deepEqual(notices, []);
});
