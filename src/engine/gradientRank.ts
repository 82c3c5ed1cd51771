/**
 * ‖∇W‖_F and the numerical rank of ∇W = Σ_i a_i b_iᵀ from the n×n Gram matrices A Aᵀ and
 * B Bᵀ of its factors (n = input positions), so the d×d_ff gradient itself is never formed:
 * ‖∇W‖²_F = Σ_ij (A Aᵀ)_ij (B Bᵀ)_ij, and the squared singular values of ∇W are the eigenvalues
 * of (A Aᵀ)(B Bᵀ).
 */

/** The Grams come from float32 matmuls: eigenvalues below n·ε₃₂·λ_max are rounding noise. */
const FLOAT32_EPSILON = 2 ** -23;

export function frobeniusNorm(gramA: ArrayLike<number>, gramB: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < gramA.length; i++) sum += gramA[i] * gramB[i];
  return Math.sqrt(Math.max(sum, 0));
}

/**
 * Rank of A Aᵀ (B Bᵀ). Sylvester's inequality bounds it by rank A + rank B − n ≤ rank ≤
 * min(rank A, rank B), which settles the usual cases (both factors of full rank n) from two
 * pivoted Choleskys. Otherwise factor the lower-rank Gram ≈ L Lᵀ and count the pivots of the
 * symmetric Lᵀ G L, G the other Gram, which has the same non-zero eigenvalues: O(n²r) for the
 * smaller r (the last layer's δ, non-zero only at the loss positions, gives r = 1).
 */
export function gradientRank(gramA: ArrayLike<number>, gramB: ArrayLike<number>, n: number): number {
  const factorA = pivotedCholesky(Float64Array.from(gramA), n);
  const factorB = pivotedCholesky(Float64Array.from(gramB), n);
  const upper = Math.min(factorA.length, factorB.length);
  if (factorA.length + factorB.length - n >= upper) return upper;
  const [factor, other] = factorA.length <= factorB.length ? [factorA, gramB] : [factorB, gramA];
  const r = factor.length;
  // G·L once (n × r), then Lᵀ(G·L).
  const otherTimesFactor = factor.map((column) => {
    const product = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += other[i * n + j] * column[j];
      product[i] = sum;
    }
    return product;
  });
  const projected = new Float64Array(r * r);
  for (let p = 0; p < r; p++) {
    for (let q = p; q < r; q++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += factor[p][i] * otherTimesFactor[q][i];
      projected[p * r + q] = projected[q * r + p] = sum;
    }
  }
  return pivotedCholesky(projected, r).length;
}

/**
 * Columns of L (each of length n, in the matrix's own index order) with M ≈ L Lᵀ, stopping at
 * pivots under the noise floor. Right-looking and in place on the lower triangle, with symmetric
 * row/column swaps (LAPACK's dpstrf): n³/6 multiply-adds for a full-rank matrix, against n³/2
 * for forming each column from all previous ones — a T = 256 GPT-2 analysis factors 48 such Grams.
 */
function pivotedCholesky(matrix: Float64Array, n: number): Float64Array[] {
  const m = matrix; // lower triangle used: m[i * n + j], i ≥ j; rows and columns permuted in place
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let floor = 0;
  for (let i = 0; i < n; i++) floor = Math.max(floor, m[i * n + i]);
  floor *= n * FLOAT32_EPSILON;
  const pivotColumn = new Float64Array(n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (m[i * n + i] > m[p * n + p]) p = i;
    if (!(m[p * n + p] > floor)) break;
    if (p !== k) swapSymmetric(m, n, k, p, order);
    const scale = Math.sqrt(m[k * n + k]);
    m[k * n + k] = scale;
    for (let i = k + 1; i < n; i++) pivotColumn[i] = m[i * n + k] /= scale;
    for (let i = k + 1; i < n; i++) {
      const lik = pivotColumn[i];
      const row = i * n;
      for (let j = k + 1; j <= i; j++) m[row + j] -= lik * pivotColumn[j];
    }
    rank = k + 1;
  }
  return Array.from({ length: rank }, (_, j) => {
    const column = new Float64Array(n);
    for (let i = j; i < n; i++) column[order[i]] = m[i * n + j];
    return column;
  });
}

/** Swaps indices k < p of a symmetric matrix held in its lower triangle, factored up to column k. */
function swapSymmetric(m: Float64Array, n: number, k: number, p: number, order: Int32Array): void {
  const swap = (a: number, b: number) => {
    const t = m[a];
    m[a] = m[b];
    m[b] = t;
  };
  for (let j = 0; j < k; j++) swap(k * n + j, p * n + j);
  swap(k * n + k, p * n + p);
  for (let j = k + 1; j < p; j++) swap(j * n + k, p * n + j);
  for (let i = p + 1; i < n; i++) swap(i * n + k, i * n + p);
  const t = order[k];
  order[k] = order[p];
  order[p] = t;
}
