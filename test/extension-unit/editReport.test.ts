import test from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdownReport } from '../../src/report/markdown';
import { readoutChange } from '../../src/result/editView';
import { readout, resultWithFixtureEdits } from '../support/editFixtures';
import { fixtureResult } from '../support/fixtureResult';

test('the report lists each edit preview, per prompt before and after, and each sweep per layer', () => {
  const md = renderMarkdownReport(resultWithFixtureEdits());
  const section = md.slice(md.indexOf('## Edit previews'));
  assert.ok(section.startsWith('## Edit previews (in memory only'), 'the section is there');
  assert.ok(section.includes('### Forward-pass shift at layer 1, η = 0.3'));
  assert.ok(section.includes('| Once upon a | before | 0.1% | rank 5 | `␣the` 50.0%, `<b>` 20.0% |'));
  assert.ok(section.includes('|  | after | 90.0% | argmax | `␣Tom` 90.0%, `␣the` 1.0% |'));
  assert.ok(section.includes('| The cat \\| sat | before |'), 'a prompt is escaped for the table');
  assert.ok(section.includes('bit for bit'));
  assert.ok(section.includes('| 0 | none up to 10 | — |'));
  assert.ok(section.includes('| 1 | 1 | 70.0% |'));
  assert.ok(!renderMarkdownReport(fixtureResult()).includes('## Edit previews'), 'no edits, no section');
});

test('a read-out change says where the target went and which tokens entered the top-k', () => {
  const change = readoutChange(readout(0.001, 5), readout(0.9, 0));
  assert.deepEqual([change.rank, change.becameArgmax, [...change.entered]], ['closer', true, [30]]);
  const worse = readoutChange(readout(0.002, 6), readout(0.001, 8));
  assert.deepEqual([worse.rank, worse.becameArgmax, [...worse.entered]], ['farther', false, []]);
});
