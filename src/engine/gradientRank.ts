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
 * Rank of A Aᵀ (B Bᵀ): factor A Aᵀ ≈ L Lᵀ by pivoted Cholesky, then count the pivots of the
 * symmetric Lᵀ (B Bᵀ) L, which has the same non-zero eigenvalues.
 */
export function gradientRank(gramA: ArrayLike<number>, gramB: ArrayLike<number>, n: number): number {
  const factor = pivotedCholesky(Float64Array.from(gramA), n);
  const r = factor.length;
  if (r === 0) return 0;
  const projected = new Float64Array(r * r);
  for (let p = 0; p < r; p++) {
    for (let q = p; q < r; q++) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        let row = 0;
        for (let j = 0; j < n; j++) row += gramB[i * n + j] * factor[q][j];
        sum += factor[p][i] * row;
      }
      projected[p * r + q] = projected[q * r + p] = sum;
    }
  }
  return pivotedCholesky(projected, r).length;
}

/** Columns of L (each of length n) with M ≈ L Lᵀ, stopping at pivots under the noise floor. */
function pivotedCholesky(matrix: Float64Array, n: number): Float64Array[] {
  const diagonal = Float64Array.from({ length: n }, (_, i) => matrix[i * n + i]);
  const floor = Math.max(...diagonal, 0) * n * FLOAT32_EPSILON;
  const columns: Float64Array[] = [];
  const used = new Set<number>();
  while (columns.length < n) {
    let pivot = -1;
    for (let i = 0; i < n; i++) if (!used.has(i) && (pivot < 0 || diagonal[i] > diagonal[pivot])) pivot = i;
    if (!(diagonal[pivot] > floor)) break;
    const scale = Math.sqrt(diagonal[pivot]);
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (used.has(i) && i !== pivot) continue;
      let value = matrix[i * n + pivot];
      for (const previous of columns) value -= previous[i] * previous[pivot];
      column[i] = value / scale;
    }
    for (let i = 0; i < n; i++) if (!used.has(i)) diagonal[i] -= column[i] * column[i];
    used.add(pivot);
    columns.push(column);
  }
  return columns;
}
