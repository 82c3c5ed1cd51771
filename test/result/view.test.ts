import test from 'node:test';
import assert from 'node:assert/strict';
import {
  buildGrid,
  emphasizedSide,
  expectedGradientRank,
  formatNumber,
  gradientRankSummary,
  gridLegend,
  gridRank,
  headerFacts,
  lastLossPosition,
  normalizedLensNote,
  rankSeries,
  rankStatus,
  RANK_COUNTING,
  tokenText,
  visibleToken,
  wideTableChars,
} from '../../src/result/view';
import type { BackwardLensResult } from '../../src/result/schema';
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

test('rank series runs bottom layer first at one position, each grid counting its own way', () => {
  const result = fixtureResult();
  assert.deepEqual(rankSeries(result, 'ff1', 1), [{ layer: 0, rank: 99 }, { layer: 1, rank: 98 }]);
  // 511 tokens above the target in a 512-token vocabulary: the bottom, 0 counted from there.
  assert.deepEqual(rankSeries(result, 'ff2', 3), [{ layer: 0, rank: 0 }, { layer: 1, rank: 0 }]);
  // No gradient reaches a zero cell: it has no rank, and the series skips it.
  result.layers[1].ff2.norms[3] = 0;
  assert.deepEqual(rankSeries(result, 'ff2', 3), [{ layer: 0, rank: 0 }]);
});

test('one rank definition per grid: FF1 from the top, FF2 from the bottom, zero cells none', () => {
  assert.equal(RANK_COUNTING.ff1.from, 'top');
  assert.equal(RANK_COUNTING.ff2.from, 'bottom');
  assert.equal(gridRank('ff1', 5, 512), 5);
  assert.equal(gridRank('ff2', 511, 512), 0);
  assert.equal(gridRank('ff2', 0, 512), 511);
  const result = fixtureResult();
  result.layers[1].ff2.norms[0] = 0;
  const ff2 = buildGrid(result, 'ff2');
  assert.equal(ff2.rows[0].cells[3].rank, 0);
  assert.equal(ff2.rows[1].cells[1].rank, 512 - 1 - 50);
  const zero = ff2.rows[0].cells[0];
  assert.deepEqual([zero.zero, zero.rank, zero.top, zero.bottom], [true, undefined, [], []]);
  assert.equal(ff2.hasZeroCells, true);
  assert.equal(buildGrid(result, 'ff1').rows[0].cells[2].rank, 100 - 2 - 1);
});

test('bold means what the update writes by default: FF1 top, FF2 bottom', () => {
  assert.equal(emphasizedSide('ff1', 'update'), 'top');
  assert.equal(emphasizedSide('ff2', 'update'), 'bottom');
  assert.equal(emphasizedSide('ff1', 'bottom'), 'bottom');
  assert.equal(emphasizedSide('ff2', 'top'), 'top');
});

test('the legend names the cell, bold, shade, empty cells and how rank counts', () => {
  const result = fixtureResult();
  result.layers[1].ff2.norms[0] = 0;
  const ff2 = gridLegend(buildGrid(result, 'ff2'), 'update').map((i) => `${i.kind}: ${i.text}`);
  assert.deepEqual(ff2, [
    'cell: cell: top-1 \\ bottom-1 of LL(δ_i)',
    'bold: bold: the bottom, what the update writes',
    'shade: ‖δ_i‖ 0–0.8',
    'zero: no gradient reaches here (δ_i = 0)',
    'rank: rank from the bottom (0 = what a descent step writes most)',
  ]);
  const ff1 = gridLegend(buildGrid(result, 'ff1'), 'bottom').map((i) => i.text);
  assert.ok(ff1.includes('bold: the bottom'), 'another side than the update’s is named plainly');
  assert.ok(!ff1.some((t) => t.startsWith('no gradient')), 'FF1 has no empty cells to explain');
  assert.ok(ff1.includes('rank from the top (0 = most probable)'));
});

test('the last loss position is where the panel opens and the chart starts', () => {
  assert.equal(lastLossPosition(fixtureResult()), 3);
  assert.equal(lastLossPosition(fixtureResult({ lossWeights: [0, 0, 1, 0] })), 2);
  // Training text: the last position has no next token, so no loss.
  assert.equal(lastLossPosition(fixtureResult({ lossMode: 'text', lossWeights: [1, 1, 1, 0] })), 2);
});

/** A result shaped like stories260K's (d = 64), `n` tokens, ranks as given per layer (bottom layer first). */
function ranked(n: number, lossWeights: number[], ranks: number[][], lossMode: BackwardLensResult['lossMode'] = 'paper'): BackwardLensResult {
  const base = fixtureResult();
  const tokens = Array.from({ length: n }, (_, i) => ({ id: i, text: ` t${i}` }));
  const row = base.layers[0].ff1;
  const column = <T>(v: T): T[] => Array.from({ length: n }, () => v);
  const lens = { norms: column(1), top: column(row.top[0]), bottom: column(row.bottom[0]), targetRank: column(3) };
  return {
    ...base,
    lossMode,
    model: { ...base.model, layers: ranks.length, hiddenSize: 64 },
    tokens,
    rankIds: column(30),
    lossWeights,
    layers: ranks.map(([ff1, ff2], layer) => ({ layer, ff1: lens, ff2: lens, gradNorm: { ff1: 1, ff2: 1 }, gradRank: { ff1, ff2 } })),
  };
}

test('expected gradient rank per loss mode, from the loss weights', () => {
  const n = 16;
  const paper = ranked(n, [...Array(n - 1).fill(0), 1], [[16, 16], [16, 16], [1, 1]]);
  assert.deepEqual([0, 1, 2].map((l) => expectedGradientRank(paper, l)), [16, 16, 1]);
  const continuation = ranked(n, [...Array(n - 3).fill(0), 1 / 3, 1 / 3, 1 / 3], [[16, 16], [3, 3]], 'continuation');
  assert.deepEqual([0, 1].map((l) => expectedGradientRank(continuation, l)), [16, 3]);
  // Text: positions 0…n−2 carry loss, the last none, so n − 1 in every layer.
  const text = ranked(n, [...Array(n - 1).fill(1 / 15), 0], [[15, 15], [15, 14]], 'text');
  assert.deepEqual([0, 1].map((l) => expectedGradientRank(text, l)), [15, 15]);
  // At most d = 64, whatever the number of positions.
  const long = ranked(120, [...Array(119).fill(1 / 119), 0], [[64, 64], [64, 64]], 'text');
  assert.deepEqual([0, 1].map((l) => expectedGradientRank(long, l)), [64, 64]);
});

test('only a rank above its expectation or far below it is suspicious', () => {
  assert.equal(rankStatus(16, 16), 'expected');
  assert.equal(rankStatus(21, 26), 'below');
  assert.equal(rankStatus(24, 64), 'below');
  assert.equal(rankStatus(17, 16), 'suspicious');
  assert.equal(rankStatus(3, 16), 'suspicious');
  assert.equal(rankStatus(0, 1), 'suspicious');
});

test('the gradient-rank row: as expected, lower on real text, or marked', () => {
  // stories260K's numbers: paper mode, 33 tokens, FF2 rank 26 in layer 3 is usual on real text.
  const paper = ranked(33, [...Array(32).fill(0), 1], [[33, 33], [33, 33], [33, 33], [33, 26], [1, 1]]);
  const summary = gradientRankSummary(paper);
  assert.equal(summary.suspicious, false);
  assert.match(summary.text, /^FF1\/FF2 by layer 0→4: 33\/33 33\/33 33\/33 33\/26 1\/1 · expected 33, 1 in the last layer · lower in layer 3 \(usual on real text\)$/);
  assert.match(summary.explanation, /1 loss position;/);
  // A correct training-text result: n − 1 everywhere, the last layer's FF2 one lower.
  const text = ranked(14, [...Array(13).fill(1 / 13), 0], [[13, 13], [13, 12]], 'text');
  const textSummary = gradientRankSummary(text);
  assert.equal(textSummary.suspicious, false);
  assert.match(textSummary.text, /expected 13 in every layer/);
  assert.match(textSummary.explanation, /1 of the 14 positions comes after it and carries no gradient/);
  const fact = headerFacts(text, false).find((f) => f.label === 'Gradient rank');
  assert.deepEqual([fact?.notable, fact?.key, fact?.explanation], [false, 'gradient-rank', textSummary.explanation]);
  const broken = ranked(14, [...Array(13).fill(0), 1], [[14, 15], [1, 1]]);
  assert.equal(gradientRankSummary(broken).suspicious, true);
  assert.match(gradientRankSummary(broken).text, /⚠ check layer 0$/);
  assert.equal(headerFacts(broken, false).find((f) => f.label === 'Gradient rank')?.notable, true);
});

test('the header: a short provider with its reason on hover, the training text as its own target', () => {
  const fallback = fixtureResult({ executionProviderNote: 'onnxruntime-node has no CUDA libraries here (reinstall it …)' });
  const provider = headerFacts(fallback, false).find((f) => f.label === 'Provider');
  assert.deepEqual(provider?.parts, ['CPU', ' · CUDA unavailable']);
  assert.equal(provider?.explanation, 'CUDA did not run: onnxruntime-node has no CUDA libraries here (reinstall it …).');
  const text = fixtureResult({ lossMode: 'text', lossWeights: [1 / 3, 1 / 3, 1 / 3, 0] });
  assert.deepEqual(headerFacts(text, false).find((f) => f.label === 'Target')?.parts, ['the selection itself (4 tokens, each scored on the next)']);
});

test('the normalized lens is said to barely matter on RMSNorm models', () => {
  assert.match(normalizedLensNote(fixtureResult()) ?? '', /RMSNorm.*That is expected/);
  assert.equal(normalizedLensNote(fixtureResult({ model: { ...fixtureResult().model, architecture: 'gpt2' } })), undefined);
});

test('the wide table’s width in characters: per column the longest of header and cells', () => {
  const result = fixtureResult();
  // Headers "<s>" "␣Once" "␣upon" "␣a" (3 5 5 2); cells "␣the \ ␣time" (12) or "␣the \ ␣x" (9).
  assert.equal(wideTableChars(result, buildGrid(result, 'ff2')), 4 * 12);
  assert.equal(wideTableChars(result, buildGrid(result, 'ff1')), 4 * 9);
});

test('views are linear and never spread a result into arguments: 200,000 tokens', () => {
  const n = 200_000;
  const result = ranked(n, [...Array(n - 1).fill(0), 1], [[64, 64], [1, 1]]);
  const started = Date.now();
  const grid = buildGrid(result, 'ff2');
  assert.equal(grid.rows[0].cells.length, n);
  assert.equal(expectedGradientRank(result, 0), 64);
  assert.ok(gradientRankSummary(result).text.length > 0);
  assert.ok(wideTableChars(result, grid) > n);
  assert.equal(lastLossPosition(result), n - 1);
  assert.equal(headerFacts(result, true).find((f) => f.label === 'Prompt tokens')?.parts.length, n);
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
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
