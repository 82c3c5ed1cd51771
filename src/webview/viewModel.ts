/**
 * Turns a result into what the panel draws. Kept free of the DOM so it can be unit-tested
 * under plain Node and reused by the Markdown report.
 */
import type { BackwardLensResult, LensRow, ScoredToken } from '../result/schema';

export type GridName = 'ff1' | 'ff2';

export const GRID_TITLES: Record<GridName, { title: string; subtitle: string }> = {
  ff1: { title: 'FF1 — imprint', subtitle: 'x_i, the FF1 input (normed residual)' },
  ff2: { title: 'FF2 — shift', subtitle: 'δ_i = ∂L/∂(FF2 output)' },
};

export interface CellModel {
  position: number;
  top: ScoredToken[];
  bottom: ScoredToken[];
  norm: number;
  /** norm / the grid's largest norm, in [0, 1]; drives the heatmap background. */
  intensity: number;
  targetRank: number;
  /** Text of the token whose rank `targetRank` reports. */
  rankToken: string;
}

export interface RowModel {
  layer: number;
  cells: CellModel[];
  gradNorm: number;
  gradRank: number;
}

export interface GridModel {
  name: GridName;
  /** Last layer first, as the paper prints its tables. */
  rows: RowModel[];
  maxNorm: number;
}

export function buildGrid(result: BackwardLensResult, name: GridName): GridModel {
  const rows = result.layers.map((layer) => ({ layer, lens: layer[name] as LensRow }));
  const maxNorm = rows.reduce((m, r) => Math.max(m, ...r.lens.norms.filter(Number.isFinite)), 0);
  return {
    name,
    maxNorm,
    rows: rows
      .slice()
      .sort((a, b) => b.layer.layer - a.layer.layer)
      .map(({ layer, lens }) => ({
        layer: layer.layer,
        gradNorm: layer.gradNorm[name],
        gradRank: layer.gradRank[name],
        cells: result.tokens.map((_, i) => ({
          position: i,
          top: lens.top[i] ?? [],
          bottom: lens.bottom[i] ?? [],
          norm: lens.norms[i] ?? 0,
          intensity: maxNorm > 0 && Number.isFinite(lens.norms[i]) ? lens.norms[i] / maxNorm : 0,
          targetRank: lens.targetRank[i] ?? -1,
          rankToken: tokenText(result, result.rankIds[i]),
        })),
      })),
  };
}

/** A vocabulary id's text, looked up among the strings the result already carries. */
export function tokenText(result: BackwardLensResult, id: number | undefined): string {
  if (id === undefined) return '';
  const fromInput = [...result.tokens, ...result.targetTokens].find((t) => t.id === id);
  if (fromInput) return fromInput.text;
  for (const layer of result.layers) {
    for (const lens of [layer.ff1, layer.ff2]) {
      for (const list of [...lens.top, ...lens.bottom]) {
        const hit = list.find((t) => t.id === id);
        if (hit) return hit.text;
      }
    }
  }
  const predicted = result.prediction.find((t) => t.id === id);
  return predicted ? predicted.text : `#${id}`;
}

export interface RankPoint {
  layer: number;
  rank: number;
}

/** The target's rank in LL(v) across layers at one position, bottom layer first. */
export function rankSeries(result: BackwardLensResult, name: GridName, position: number): RankPoint[] {
  return result.layers
    .map((l) => ({ layer: l.layer, rank: l[name].targetRank[position] }))
    .filter((p): p is RankPoint => typeof p.rank === 'number' && p.rank >= 0)
    .sort((a, b) => a.layer - b.layer);
}

/** Index of the last prompt position: where the paper's loss sits. */
export function lastPromptPosition(result: BackwardLensResult): number {
  if (result.lossMode === 'paper') {
    const weighted = result.lossWeights.map((w, i) => (w !== 0 ? i : -1)).filter((i) => i >= 0);
    if (weighted.length > 0) return weighted[weighted.length - 1];
  }
  return result.tokens.length - 1;
}

export interface CorrectnessSummary {
  positions: number;
  /** Per grid, the layers whose gradient rank differs from what the paper predicts. */
  deficient: Record<GridName, number[]>;
  text: string;
}

/**
 * The paper's sanity check: dL/dW = Σ_i x_iᵀ δ_i has rank ≤ n and almost always exactly n,
 * except in the last layer, where δ_i = 0 wherever no loss term sits (rank 1 under the
 * paper's single-position loss).
 */
export function correctness(result: BackwardLensResult): CorrectnessSummary {
  const n = result.tokens.length;
  const lossPositions = result.lossWeights.filter((w) => w !== 0).length;
  const top = Math.max(...result.layers.map((l) => l.layer));
  const expected = (layer: number): number => (layer === top ? Math.min(n, lossPositions || n) : n);
  const deficient: Record<GridName, number[]> = { ff1: [], ff2: [] };
  for (const l of result.layers) {
    for (const g of ['ff1', 'ff2'] as const) if (l.gradRank[g] !== expected(l.layer)) deficient[g].push(l.layer);
  }
  const ordered = [...result.layers].sort((a, b) => a.layer - b.layer);
  const ranks = ordered.map((l) => `${l.gradRank.ff1}/${l.gradRank.ff2}`).join(' ');
  const norms = (g: GridName): string => ordered.map((l) => formatNumber(l.gradNorm[g])).join(' ');
  const verdict =
    deficient.ff1.length + deficient.ff2.length === 0
      ? `as predicted (n = ${n}; ${expected(top)} in the last layer)`
      : `expected n = ${n} (${expected(top)} in the last layer); differs in layers ${[...new Set([...deficient.ff1, ...deficient.ff2])].sort((a, b) => a - b).join(', ')}`;
  return {
    positions: n,
    deficient,
    text: `rank ∇W FF1/FF2 by layer: ${ranks} — ${verdict} · ‖∇W_FF1‖: ${norms('ff1')} · ‖∇W_FF2‖: ${norms('ff2')}`,
  };
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(4).replace(/\.?0+$/, '');
}

export function formatProb(p: number): string {
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return p.toExponential(1);
}

/** Makes whitespace inside a token visible without changing the token string itself. */
export function visibleToken(text: string): string {
  return text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}
