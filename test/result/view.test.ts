import test from 'node:test';
import assert from 'node:assert/strict';
import { buildGrid, correctness, formatNumber, lastPromptPosition, rankSeries, tokenText, visibleToken } from '../../src/result/view';
import { fixtureResult } from '../support/fixtureResult';

test('grids put the last layer on top and one cell per input token', () => {
  const result = fixtureResult();
  for (const name of ['ff1', 'ff2'] as const) {
    const grid = buildGrid(result, name);
    assert.deepEqual(grid.rows.map((r) => r.layer), [1, 0]);
    for (const row of grid.rows) assert.deepEqual(row.cells.map((c) => c.position), [0, 1, 2, 3]);
  }
  const ff2 = buildGrid(result, 'ff2');
  assert.ok(Math.abs(ff2.maxNorm - 0.8) < 1e-12);
  assert.equal(ff2.rows[0].cells[3].intensity, 1);
  assert.ok(Math.abs(ff2.rows[1].cells[0].intensity - 0.125) < 1e-12);
  assert.equal(ff2.rows[0].cells[3].bottom[0].text, ' time');
  assert.equal(ff2.rows[0].cells[3].rankToken, ' time');
  assert.equal(ff2.rows[0].gradRank, 1);
});

test('zero and non-finite norms do not break the heatmap', () => {
  const result = fixtureResult();
  for (const l of result.layers) l.ff2.norms = l.ff2.norms.map(() => 0);
  result.layers[0].ff1.norms[0] = Number.NaN;
  assert.ok(buildGrid(result, 'ff2').rows.every((r) => r.cells.every((c) => c.intensity === 0)));
  assert.equal(buildGrid(result, 'ff1').rows[1].cells[0].intensity, 0);
});

test('rank series runs bottom layer first at one position', () => {
  const result = fixtureResult();
  assert.deepEqual(rankSeries(result, 'ff1', 1), [{ layer: 0, rank: 99 }, { layer: 1, rank: 98 }]);
  assert.deepEqual(rankSeries(result, 'ff2', 3), [{ layer: 0, rank: 511 }, { layer: 1, rank: 511 }]);
});

test('the last prompt position is where the paper loss sits', () => {
  assert.equal(lastPromptPosition(fixtureResult()), 3);
  assert.equal(lastPromptPosition(fixtureResult({ lossWeights: [0, 0, 1, 0] })), 2);
  assert.equal(lastPromptPosition(fixtureResult({ lossMode: 'text', lossWeights: [1, 1, 1, 0] })), 3);
});

test('correctness compares gradient ranks with the number of positions', () => {
  const check = correctness(fixtureResult());
  assert.equal(check.positions, 4);
  // One loss position: the last layer's rank 1 is what the paper predicts, not a defect.
  assert.deepEqual(check.deficient, { ff1: [], ff2: [] });
  assert.match(check.text, /by layer: 4\/4 1\/1 — as predicted/);
  const broken = fixtureResult();
  broken.layers[0].gradRank.ff2 = 3;
  assert.deepEqual(correctness(broken).deficient, { ff1: [], ff2: [0] });
  assert.match(correctness(broken).text, /differs in layers 0/);
});

test('token text lookup and display helpers', () => {
  const result = fixtureResult();
  assert.equal(tokenText(result, 20), ' Once');
  assert.equal(tokenText(result, 13), 'a|b');
  assert.equal(tokenText(result, 31), ' day');
  assert.equal(tokenText(result, 999), '#999');
  assert.equal(visibleToken(' a\n'), '␣a↵');
  assert.equal(formatNumber(0.000012), '1.20e-5');
  assert.equal(formatNumber(2.5), '2.5');
});
