import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignmentNote, compareResults, tokenOverlap } from '../../src/result/compare';
import type { BackwardLensResult } from '../../src/result/schema';
import { fixtureResult } from '../support/fixtureResult';

const tok = (id: number, text: string) => ({ id, text, prob: 0.1 });

test('a result compared with itself: full overlap, norm ratio 1, no rank difference, every position with itself', () => {
  const c = compareResults(fixtureResult(), fixtureResult());
  assert.equal(c.samePositions, true);
  assert.deepEqual(c.grids.ff1.map((r) => r.layer), [1, 0], 'last layer first, as the grids');
  for (const row of [...c.grids.ff1, ...c.grids.ff2]) {
    assert.equal(row.cells.length, 4);
    for (const cell of row.cells) {
      assert.equal(cell.referencePosition, cell.position);
      assert.deepEqual([cell.zero, cell.topOverlap, cell.bottomOverlap, cell.normRatio, cell.rankDifference], [false, 1, 1, 1, 0]);
    }
  }
});

test('one prompt, two targets: overlaps count shared tokens over k, the norm ratio is current / reference, ranks subtract as the grid counts them', () => {
  const current = fixtureResult();
  const reference = fixtureResult({ target: ' day' });
  const cell = (r: BackwardLensResult) => r.layers[1].ff2;
  cell(reference).top[3] = [tok(10, ' the'), tok(99, ' sun')];
  cell(reference).bottom[3] = [tok(98, ' moon'), tok(97, ' star')];
  cell(reference).norms[3] = cell(current).norms[3] * 2;
  // FF2 counts from the bottom: 511 tokens above is rank 0; 500 above is rank 11.
  cell(reference).targetRank[3] = 500;
  const compared = compareResults(current, reference).grids.ff2[0].cells[3];
  assert.deepEqual(
    [compared.topOverlap, compared.bottomOverlap, compared.normRatio, compared.rankDifference],
    [0.5, 0, 0.5, -11],
  );
  const ff1 = compareResults(current, reference).grids.ff1[0].cells[3];
  assert.equal(ff1.topOverlap, 1, 'the other grid is untouched');
});

test('cells with no gradient in either result are zero, with nothing compared', () => {
  const reference = fixtureResult();
  reference.layers[0].ff2.norms[1] = 0;
  const cell = compareResults(fixtureResult(), reference).grids.ff2[1].cells[1];
  assert.deepEqual(cell, { position: 1, referencePosition: 1, zero: true });
});

test('paraphrases of different lengths are aligned from the end of the prompt, and the note says so', () => {
  const current = fixtureResult();
  const longer = fixtureResult({ tokens: [{ id: 1, text: '<s>' }, { id: 40, text: ' Long' }, { id: 20, text: ' Once' }, { id: 21, text: ' upon' }, { id: 22, text: ' a' }], rankIds: [30, 30, 30, 30, 30], lossWeights: [0, 0, 0, 0, 1] });
  for (const l of longer.layers) {
    for (const g of [l.ff1, l.ff2]) {
      g.norms.unshift(9);
      g.top.unshift([tok(77, ' x')]);
      g.bottom.unshift([tok(78, ' y')]);
      g.targetRank.unshift(1);
    }
  }
  const shorter = compareResults(current, longer);
  assert.equal(shorter.samePositions, false);
  assert.equal(shorter.offset, -1);
  assert.deepEqual(shorter.grids.ff1[0].cells.map((c) => [c.position, c.referencePosition]), [[0, 1], [1, 2], [2, 3], [3, 4]]);
  assert.match(alignmentNote(shorter, 4, 5), /aligned by layer and by position from the end of the prompt, the last 4 positions \(the other's first 1 have no partner\)/);
  const reversed = compareResults(longer, current);
  assert.equal(reversed.firstPosition, 1);
  assert.deepEqual(reversed.grids.ff2[0].cells.map((c) => [c.position, c.referencePosition]), [[1, 0], [2, 1], [3, 2], [4, 3]]);
  assert.match(alignmentNote(reversed, 5, 4), /the last 4 positions \(this result's first 1 have no partner\)/);
  assert.match(alignmentNote(compareResults(current, current), 4, 4), /Same prompt tokens: each position is compared with itself/);
});

test('overlap is over the shorter list; across models tokens match by text, within one by id', () => {
  assert.equal(tokenOverlap([tok(1, 'a'), tok(2, 'b'), tok(3, 'c')], [tok(2, 'b'), tok(1, 'a')]), 1);
  assert.equal(tokenOverlap([], [tok(1, 'a')]), undefined);
  const other = fixtureResult({ model: { ...fixtureResult().model, sha256: 'cd'.repeat(32) } });
  for (const l of other.layers) l.ff1.top = l.ff1.top.map((list) => list.map((t) => ({ ...t, id: t.id + 1000 })));
  assert.equal(compareResults(fixtureResult(), other).grids.ff1[0].cells[0].topOverlap, 1, 'by text across models');
  const sameModel = fixtureResult();
  for (const l of sameModel.layers) l.ff1.top = l.ff1.top.map((list) => list.map((t) => ({ ...t, id: t.id + 1000 })));
  assert.equal(compareResults(fixtureResult(), sameModel).grids.ff1[0].cells[0].topOverlap, 0, 'by id within one model');
});

test('only the layers both results have are compared', () => {
  const reference = fixtureResult();
  reference.layers = reference.layers.slice(0, 1);
  assert.deepEqual(compareResults(fixtureResult(), reference).grids.ff1.map((r) => r.layer), [0]);
});
