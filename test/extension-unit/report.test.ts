import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeNewFileAtomic } from '../../src/files/atomicWrite';
import { saveResultPair } from '../../src/report/resultFile';
import { mdToken, renderMarkdownReport } from '../../src/report/markdown';
import { candidateBaseNames, dateStamp, resultBaseName, slugify } from '../../src/report/naming';
import { fixtureResult, fixtureResultV2 } from '../support/fixtureResult';

test('tokens become code spans that survive tables and markup', () => {
  assert.equal(mdToken(' the'), '`␣the`');
  assert.equal(mdToken('a|b'), '`a\\|b`');
  assert.equal(mdToken('<script>'), '`<script>`');
  assert.equal(mdToken('`'), '`` ` ``');
  assert.equal(mdToken('a``b'), '```a``b```');
});

test('the report carries both grids, a table per layer with a row per token, last layer first', () => {
  const md = renderMarkdownReport(fixtureResult());
  assert.match(md, /^# Backward Lens: Once upon a/);
  for (const heading of ['## FF1 — imprint', '## FF2 — shift']) assert.ok(md.includes(heading), heading);
  const layers = md.split('\n').filter((l) => l.startsWith('### Layer '));
  assert.deepEqual(layers.map((l) => l.slice(0, 16)), ['### Layer 1 (las', '### Layer 0 · ‖∇', '### Layer 1 (las', '### Layer 0 · ‖∇']);
  const ff2 = md.slice(md.indexOf('## FF2 — shift'));
  const rows = ff2.split('\n').filter((l) => /^\| \d \|/.test(l));
  assert.equal(rows.length, 2 * 4, 'one row per token in each of the two layers');
  const ff2Layer1Last = rows[3];
  // # | token | top \ bottom | ‖δ‖ | rank from the bottom
  assert.equal(ff2Layer1Last.split(' | ').length, 5);
  assert.ok(ff2Layer1Last.includes('`␣the` \\\\ `␣time`'));
  assert.ok(ff2Layer1Last.endsWith(' | 0 |'), `FF2 counts the target's rank from the bottom: ${ff2Layer1Last}`);
  assert.match(ff2, /rank from the bottom \(0 = what a descent step writes most\)/);
  assert.ok(md.includes('`a\\|b`'));
  assert.ok(md.includes('| Loss | 2.5 |'));
  assert.ok(md.includes('| Target | ␣time') === false && md.includes('| Target |  time → `␣time` |'));
});

test('file names are dated and slugged from the end of the probe', () => {
  assert.equal(dateStamp(new Date(2026, 0, 5, 23, 59)), '2026-01-05');
  assert.equal(slugify('Café <b>Crème</b>!'), 'cafe-b-creme-b');
  assert.equal(slugify('???'), 'analysis');
  assert.equal(slugify('x'.repeat(80)), 'x'.repeat(48));
  const long = slugify('Once upon a time, there was a little girl named Tom');
  assert.ok(long.length <= 48 && long.endsWith('little-girl-named-tom'), long);
  const base = resultBaseName({ prompt: 'Obama grew up in', target: ' Paris', createdAt: new Date(2026, 1, 3, 12).toISOString() });
  assert.equal(base, '2026-02-03-obama-grew-up-in-paris');
  const gen = candidateBaseNames('b');
  assert.deepEqual([gen.next().value, gen.next().value, gen.next().value], ['b', 'b-2', 'b-3']);
});

test('saving never overwrites and leaves no temporary files', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'blens-save-'));
  try {
    const files = { json: '{"a":1}', markdown: '# a' };
    const first = await saveResultPair(path.join(dir, 'out'), candidateBaseNames('r'), files);
    const second = await saveResultPair(path.join(dir, 'out'), candidateBaseNames('r'), { ...files, json: '{"a":2}' });
    await fs.writeFile(path.join(dir, 'out', 'r-3.md'), 'someone else');
    const third = await saveResultPair(path.join(dir, 'out'), candidateBaseNames('r'), files);
    assert.deepEqual([first.json, second.json, third.json].map((p) => path.basename(p)), ['r.blens.json', 'r-2.blens.json', 'r-4.blens.json']);
    assert.equal(await fs.readFile(first.json, 'utf8'), '{"a":1}');
    assert.equal(await fs.readFile(second.json, 'utf8'), '{"a":2}');
    assert.equal(await fs.readFile(path.join(dir, 'out', 'r-3.md'), 'utf8'), 'someone else');
    assert.deepEqual((await fs.readdir(path.join(dir, 'out'))).filter((f) => f.endsWith('.tmp')), []);
    assert.equal(await writeNewFileAtomic(first.json, 'x'), false);
    await writeFileAtomic(first.json, 'replaced');
    assert.equal(await fs.readFile(first.json, 'utf8'), 'replaced');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the report stays readable at 100 columns, however many tokens, and empty cells say why', () => {
  const result = fixtureResult();
  const n = 126;
  const tokens = Array.from({ length: n }, (_, i) => ({ id: 20 + (i % 3), text: [' Once', ' upon', ' a'][i % 3] }));
  const column = <T>(v: T): T[] => Array.from({ length: n }, () => v);
  for (const l of result.layers) {
    for (const g of ['ff1', 'ff2'] as const) {
      const row = l[g];
      l[g] = { norms: column(0.5), top: column(row.top[0]), bottom: column(row.bottom[0]), targetRank: column(7) };
    }
    l.ff2.norms = l.ff2.norms.map((v, i) => (l.layer === 1 && i < n - 1 ? 0 : v));
  }
  const md = renderMarkdownReport({ ...result, tokens, rankIds: column(30), lossWeights: [...column(0).slice(1), 1] });
  // The header's two-column table wraps its values in any renderer; the grids' tables are what grew with the prompt.
  const tableLines = md.slice(md.indexOf('## FF1')).split('\n').filter((l) => l.startsWith('|'));
  assert.equal(tableLines.length, 2 * 2 * (2 + n));
  const widest = tableLines.reduce((w, l) => Math.max(w, [...l].length), 0);
  assert.ok(widest <= 100, `a grid line is ${widest} characters wide`);
  assert.ok(md.includes('| 0 | `<s>` | no gradient reaches here | 0 |  |') || md.includes('| 0 | `␣Once` | no gradient reaches here | 0 |  |'));
});

test('the report adds the neuron view and the gradient check when the result has them, and only then', () => {
  const plain = renderMarkdownReport(fixtureResult());
  assert.ok(!plain.includes('## Neurons') && !plain.includes('## Gradient check') && !plain.includes('| Gradient check |'));
  const md = renderMarkdownReport(fixtureResultV2([2e-4, 3e-3]));
  const neurons = md.slice(md.indexOf('## Neurons with the largest gradients (1 per layer in FF1 and in FF2, η = 1)'));
  assert.ok(neurons.length < md.length, 'the neuron section is there');
  assert.deepEqual(neurons.split('\n').filter((l) => l.startsWith('### Layer ')), ['### Layer 1', '### Layer 0']);
  const rows = neurons.slice(0, neurons.indexOf('## Gradient check')).split('\n').filter((l) => /^\| FF[12] \|/.test(l));
  assert.equal(rows.length, 2 * 2 * 2, 'per layer, a key and a value row for the neuron of each list');
  assert.equal(rows[0], '| FF1 | 5 | c_fc key | 0.25 | `␣the` \\\\ `a\\|b` | `␣time` \\\\ `a\\|b` | 3 `␣a` -0.2 |');
  assert.ok(rows[1].startsWith('| FF1 | 5 | c_proj value |'));
  const check = md.slice(md.indexOf('## Gradient check'));
  assert.match(check, /✗ failed in 1 of 4 · worst relative error 3\.0e-3 \(layer 1 FF1\) · threshold 1\.0e-3\./);
  assert.ok(check.includes('| 1 | 0.5 | 0.5001 | 3.0e-3 | 0.5 | 0.5001 | 2.0e-4 |'));
  assert.match(md, /\| Gradient check \| ✗ failed in 1 of 4/);
  assert.match(md, /- \*\*Gradient check\*\*: Per layer and MLP matrix/);
});
