import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frobeniusNorm, gradientRank } from '../../src/engine/gradientRank';
import { seededRandom } from '../graph/gradcheck';

/** Rows of a [n × width] matrix as a Gram matrix, rounded to float32 as the graph returns it. */
function gramOf(rows: number[][]): Float32Array {
  const n = rows.length;
  return Float32Array.from({ length: n * n }, (_, k) => rows[Math.floor(k / n)].reduce((s, v, j) => s + v * rows[k % n][j], 0));
}

function randomRows(n: number, width: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: width }, () => random() * 2 - 1));
}

test('rank of Σ a_i b_iᵀ: full when both factors are independent', () => {
  const a = randomRows(6, 20, 1);
  const b = randomRows(6, 12, 2);
  assert.equal(gradientRank(gramOf(a), gramOf(b), 6), 6);
});

test('rank drops with dependent or zero factors', () => {
  const a = randomRows(5, 20, 3);
  a[4] = a[0].map((v, j) => 2 * v - a[1][j]);
  assert.equal(gradientRank(gramOf(a), gramOf(randomRows(5, 12, 4)), 5), 4);
  const zeros = randomRows(5, 12, 5).map((row, i) => (i === 2 ? row : row.map(() => 0)));
  assert.equal(gradientRank(gramOf(randomRows(5, 20, 6)), gramOf(zeros), 5), 1);
  assert.equal(gradientRank(gramOf(zeros.map((r) => r.map(() => 0))), gramOf(zeros), 5), 0);
});

test('rank from Lᵀ(B Bᵀ)L when Sylvester bounds leave it open: a and b overlap on two positions', () => {
  // a_i live on positions 0–3, b_i on positions 2–5: rank a = rank b = 4 of n = 6, so the bounds
  // give 2 ≤ rank ≤ 4; Σ a_i b_iᵀ only sums the two shared positions' independent pairs.
  const a = randomRows(6, 20, 11).map((row, i) => (i < 4 ? row : row.map(() => 0)));
  const b = randomRows(6, 12, 12).map((row, i) => (i >= 2 ? row : row.map(() => 0)));
  assert.equal(gradientRank(gramOf(a), gramOf(b), 6), 2);
  // Permuting the positions changes nothing.
  const order = [5, 2, 0, 4, 1, 3];
  assert.equal(gradientRank(gramOf(order.map((i) => a[i])), gramOf(order.map((i) => b[i])), 6), 2);
});

test('rank of large full-rank factors (n = 200): every pivot kept', () => {
  assert.equal(gradientRank(gramOf(randomRows(200, 300, 13)), gramOf(randomRows(200, 260, 14)), 200), 200);
});

test('rank is bounded by the narrower factor width', () => {
  assert.equal(gradientRank(gramOf(randomRows(8, 3, 7)), gramOf(randomRows(8, 20, 8)), 8), 3);
});

test('‖Σ a_i b_iᵀ‖_F from the Grams equals the norm of the formed matrix', () => {
  const a = randomRows(4, 7, 9);
  const b = randomRows(4, 5, 10);
  let sum = 0;
  for (let r = 0; r < 7; r++) for (let c = 0; c < 5; c++) sum += a.reduce((s, row, i) => s + row[r] * b[i][c], 0) ** 2;
  assert.ok(Math.abs(frobeniusNorm(gramOf(a), gramOf(b)) - Math.sqrt(sum)) < 1e-4 * Math.sqrt(sum));
});
