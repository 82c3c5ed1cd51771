/**
 * How a result is presented, whatever draws it: the panel, the Markdown report and the CLI table
 * all take their grids, header facts, numbers and token texts from here, so they say the same
 * things the same way. Plain data in, plain data out: no DOM, no Markdown, no terminal.
 */
import type { BackwardLensResult, LensRow, ScoredToken, TokenInfo } from './schema';

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
  return tokenTextIndex(result).get(id) ?? `#${id}`;
}

const textIndexes = new WeakMap<BackwardLensResult, Map<number, string>>();

/** Every id's text, built once per result: a grid looks one up per cell. Earlier sources win, as the lookup order says. */
function tokenTextIndex(result: BackwardLensResult): Map<number, string> {
  let index = textIndexes.get(result);
  if (!index) {
    index = new Map();
    const add = (t: TokenInfo) => {
      if (!index!.has(t.id)) index!.set(t.id, t.text);
    };
    [...result.tokens, ...result.targetTokens].forEach(add);
    for (const layer of result.layers) {
      for (const lens of [layer.ff1, layer.ff2]) for (const list of [...lens.top, ...lens.bottom]) list.forEach(add);
    }
    result.prediction.forEach(add);
    textIndexes.set(result, index);
  }
  return index;
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

export function formatNumber(x: number, significant = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(significant).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function formatProb(p: number): string {
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return p.toExponential(1);
}

const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A token as a reader should see it, the string itself unchanged: a leading space is part of a
 * token's identity (" play" is not "play"), so whitespace shows as ␣ ↵ ␍ ⇥, and characters that
 * would be invisible or reorder the text (controls, zero-width and bidi marks, lone surrogates)
 * as \uXXXX escapes.
 */
export function visibleToken(text: string): string {
  return text
    .replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/ /g, '␣')
    .replace(/\r/g, '␍')
    .replace(/\n/g, '↵')
    .replace(/\t/g, '⇥');
}

/** One piece of a header value: plain text, a token (shown as a chip or code span), the user's own text, or a token with its probability. */
export type FactPart = string | { token: string; title?: string } | { userText: string } | { token: string; prob: number };

export interface HeaderFact {
  label: string;
  parts: FactPart[];
  /** Worth the reader's attention (drawn as a note). */
  notable?: boolean;
}

/**
 * The header every renderer writes, in order. `provenance` adds what a saved report needs to be
 * traced back (model source, weights hash, creation time); the panel shows those elsewhere.
 */
export function headerFacts(r: BackwardLensResult, provenance: boolean): HeaderFact[] {
  const check = correctness(r);
  const fact = (label: string, ...parts: FactPart[]): HeaderFact => ({ label, parts });
  const facts = [
    fact('Model', `${r.model.name} · ${r.model.architecture} · ${r.model.layers} layers · d=${r.model.hiddenSize} · vocab ${r.model.vocabSize}`),
    ...(provenance ? [fact('Source', r.model.source), fact('Weights sha256', r.model.sha256)] : []),
    fact('Provider', r.executionProvider.toUpperCase(), r.matmuls === 'float16' ? ' · float16 matmuls' : '', r.executionProviderNote ? ` (${r.executionProviderNote})` : ''),
    fact('Loss mode', r.lossMode, ' · lens ', r.lens.normalized ? 'normalized' : 'paper', r.lens.projection === 'float16' ? ' · float16 projection' : '', ` · top-k ${r.lens.topK}`),
    fact('Prompt tokens', ...r.tokens.map((t, i) => ({ token: t.text, title: `position ${i}, id ${t.id}` }))),
    fact('Target', ...(r.target ? [{ userText: r.target }, ' → '] : []), ...r.targetIds.map((id) => ({ token: tokenText(r, id) }))),
    // Five digits: losses of two targets are compared to the fourth decimal.
    fact('Loss', formatNumber(r.loss, 5)),
    fact('Predictions', ...r.prediction.map((p) => ({ token: p.text, prob: p.prob }))),
    { ...fact('Correctness', check.text), notable: check.deficient.ff1.length + check.deficient.ff2.length > 0 },
    fact('Timings', `compile ${Math.round(r.timings.compileMs)} ms · run ${Math.round(r.timings.runMs)} ms`),
    ...(provenance ? [fact('Created', r.createdAt)] : []),
  ];
  return facts.map((f) => ({ ...f, parts: f.parts.filter((p) => p !== '') }));
}

/** What separates two parts in running text: nothing around plain text, a space between tokens, a comma after a scored one. */
export function partSeparator(previous: FactPart | undefined, part: FactPart): string {
  if (previous === undefined || typeof previous === 'string' || typeof part === 'string' || 'userText' in previous || 'userText' in part) return '';
  return 'prob' in previous ? ', ' : ' ';
}
