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
 * min(rank A, rank B), which settles the usual cases (both factors of full rank n; the last
 * layer's δ of rank 1) from two pivoted Choleskys. Otherwise factor A Aᵀ ≈ L Lᵀ and count the
 * pivots of the symmetric Lᵀ (B Bᵀ) L, which has the same non-zero eigenvalues.
 */
export function gradientRank(gramA: ArrayLike<number>, gramB: ArrayLike<number>, n: number): number {
  const factor = pivotedCholesky(Float64Array.from(gramA), n);
  const rankA = factor.length;
  const rankB = pivotedCholesky(Float64Array.from(gramB), n).length;
  const upper = Math.min(rankA, rankB);
  if (rankA + rankB - n >= upper) return upper;
  // B·L once (n × r), then Lᵀ(B·L): O(n²r).
  const bTimesFactor = factor.map((column) => {
    const product = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += gramB[i * n + j] * column[j];
      product[i] = sum;
    }
    return product;
  });
  const projected = new Float64Array(rankA * rankA);
  for (let p = 0; p < rankA; p++) {
    for (let q = p; q < rankA; q++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += factor[p][i] * bTimesFactor[q][i];
      projected[p * rankA + q] = projected[q * rankA + p] = sum;
    }
  }
  return pivotedCholesky(projected, rankA).length;
}

/** Columns of L (each of length n) with M ≈ L Lᵀ, stopping at pivots under the noise floor. */
function pivotedCholesky(matrix: Float64Array, n: number): Float64Array[] {
  const diagonal = Float64Array.from({ length: n }, (_, i) => matrix[i * n + i]);
  const floor = Math.max(...diagonal, 0) * n * FLOAT32_EPSILON;
  const used = new Uint8Array(n);
  const columns: Float64Array[] = [];
  while (columns.length < n) {
    let pivot = -1;
    for (let i = 0; i < n; i++) if (!used[i] && (pivot < 0 || diagonal[i] > diagonal[pivot])) pivot = i;
    if (!(diagonal[pivot] > floor)) break;
    const scale = Math.sqrt(diagonal[pivot]);
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) if (!used[i]) column[i] = matrix[i * n + pivot];
    for (const previous of columns) {
      const atPivot = previous[pivot];
      if (atPivot === 0) continue;
      for (let i = 0; i < n; i++) if (!used[i]) column[i] -= previous[i] * atPivot;
    }
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      column[i] /= scale;
      diagonal[i] -= column[i] * column[i];
    }
    used[pivot] = 1;
    columns.push(column);
  }
  return columns;
}
