/**
 * How a result is presented, whatever draws it: the panel, the Markdown report and the CLI table
 * all take their grids, header facts, rank definitions, legends, numbers and token texts from
 * here, so they say the same things the same way. Plain data in, plain data out: no DOM, no
 * Markdown, no terminal. Every loop is linear in the result's size, and no array is spread
 * into a call's arguments (a result of 200,000 tokens would overflow the stack).
 */
import { checkSummary } from './experiments';
import type { BackwardLensResult, GradientCheck, LensRow, ScoredToken, TokenInfo } from './schema';

export type GridName = 'ff1' | 'ff2';
export type Side = 'top' | 'bottom';
/** Which side of each cell is bold: what the update writes (FF1 top, FF2 bottom), or one side in both grids. */
export type Emphasis = 'update' | Side;
export const EMPHASES: readonly Emphasis[] = ['update', 'top', 'bottom'];

export const GRID_TITLES: Record<GridName, { title: string; subtitle: string; vector: string }> = {
  ff1: { title: 'FF1 — imprint', subtitle: 'x_i, the FF1 input (normed residual)', vector: 'x_i' },
  ff2: { title: 'FF2 — shift', subtitle: 'δ_i = ∂L/∂(FF2 output)', vector: 'δ_i' },
};

/**
 * The one definition of a token's rank per grid. A descent step moves FF2's values along −δ, so
 * FF2 counts from the bottom of LL(δ) (0 = what the update writes most); FF1's input is read by
 * its top (0 = the most probable token).
 */
export const RANK_COUNTING: Record<GridName, { from: Side; label: string; zero: string }> = {
  ff1: { from: 'top', label: 'rank from the top', zero: '0 = most probable' },
  ff2: { from: 'bottom', label: 'rank from the bottom', zero: '0 = what a descent step writes most' },
};

/** The side of LL(v) the update writes: FF1 imprints x_i (its top), FF2 shifts along −δ_i (its bottom). */
export const UPDATE_SIDE: Record<GridName, Side> = { ff1: 'top', ff2: 'bottom' };

export function emphasizedSide(grid: GridName, emphasis: Emphasis): Side {
  return emphasis === 'update' ? UPDATE_SIDE[grid] : emphasis;
}

/** A rank as `grid` counts it, from the engine's count of tokens with a higher logit. */
export function gridRank(grid: GridName, tokensAbove: number, vocabSize: number): number {
  return RANK_COUNTING[grid].from === 'top' ? tokensAbove : vocabSize - 1 - tokensAbove;
}

export interface CellModel {
  position: number;
  /** δ_i = 0: no loss term reaches this position, so its projection (uniform) says nothing. */
  zero: boolean;
  top: ScoredToken[];
  bottom: ScoredToken[];
  norm: number;
  /** norm / the grid's largest norm, in [0, 1]; drives the heatmap background. */
  intensity: number;
  /** The rank token's rank as this grid counts it (RANK_COUNTING); undefined in a zero cell. */
  rank: number | undefined;
  /** Text of the token whose rank `rank` reports. */
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
  hasZeroCells: boolean;
}

export function buildGrid(result: BackwardLensResult, name: GridName): GridModel {
  let maxNorm = 0;
  for (const layer of result.layers) for (const norm of layer[name].norms) if (Number.isFinite(norm) && norm > maxNorm) maxNorm = norm;
  const rankTokens = result.tokens.map((_, i) => tokenText(result, result.rankIds[i]));
  let hasZeroCells = false;
  const rows = [...result.layers]
    .sort((a, b) => b.layer - a.layer)
    .map((layer) => {
      const lens: LensRow = layer[name];
      const cells = result.tokens.map((_, i): CellModel => {
        const norm = lens.norms[i] ?? 0;
        const zero = norm === 0;
        hasZeroCells ||= zero;
        const above = lens.targetRank[i];
        return {
          position: i,
          zero,
          top: zero ? [] : (lens.top[i] ?? []),
          bottom: zero ? [] : (lens.bottom[i] ?? []),
          norm,
          intensity: maxNorm > 0 && Number.isFinite(norm) ? norm / maxNorm : 0,
          rank: zero || above === undefined || above < 0 ? undefined : gridRank(name, above, result.model.vocabSize),
          rankToken: rankTokens[i],
        };
      });
      return { layer: layer.layer, gradNorm: layer.gradNorm[name], gradRank: layer.gradRank[name], cells };
    });
  return { name, rows, maxNorm, hasZeroCells };
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
    const built = new Map<number, string>();
    const add = (t: TokenInfo) => {
      if (!built.has(t.id)) built.set(t.id, t.text);
    };
    result.tokens.forEach(add);
    result.targetTokens.forEach(add);
    for (const layer of result.layers) {
      for (const lens of [layer.ff1, layer.ff2]) for (const lists of [lens.top, lens.bottom]) for (const list of lists) list.forEach(add);
    }
    result.prediction.forEach(add);
    textIndexes.set(result, built);
    index = built;
  }
  return index;
}

export interface RankPoint {
  layer: number;
  rank: number;
}

/** The rank token's rank across layers at one position, as the grid counts it, bottom layer first; zero cells have none. */
export function rankSeries(result: BackwardLensResult, name: GridName, position: number): RankPoint[] {
  const points: RankPoint[] = [];
  for (const l of result.layers) {
    const above = l[name].targetRank[position];
    if (l[name].norms[position] === 0 || typeof above !== 'number' || above < 0) continue;
    points.push({ layer: l.layer, rank: gridRank(name, above, result.model.vocabSize) });
  }
  return points.sort((a, b) => a.layer - b.layer);
}

/** The positions that carry a loss term, in order. */
export function lossPositions(result: BackwardLensResult): number[] {
  const positions: number[] = [];
  result.lossWeights.forEach((w, i) => {
    if (w !== 0) positions.push(i);
  });
  return positions;
}

/** Where the panel opens and the chart starts: the last position with a loss term (else the last position). */
export function lastLossPosition(result: BackwardLensResult): number {
  const positions = lossPositions(result);
  return positions.length > 0 ? positions[positions.length - 1] : result.tokens.length - 1;
}

/** The largest of `values` (−Infinity for none) without spreading them into arguments. */
export function largest(values: Iterable<number>): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
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

// ---------------------------------------------------------------------------------------------
// The gradient-rank check

export type RankStatus = 'expected' | 'below' | 'suspicious';

/**
 * What rank ∇W = Σ_i x_iᵀ δ_i should have in `layer`: one outer product per position whose δ_i
 * is non-zero, at most d. In the last layer δ_i ≠ 0 only where a loss term sits; below it,
 * attention carries every later loss back, so δ_i ≠ 0 up to the last loss position and 0 after
 * it (nothing later depends on those positions). Paper mode: n, and 1 in the last layer; text
 * mode: n − 1 everywhere (the last position has no next token). Checked on stories260K in all
 * three modes.
 */
export function expectedGradientRank(result: BackwardLensResult, layer: number): number {
  const positions = lossPositions(result);
  if (positions.length === 0) return 0;
  const lastLayer = largest(result.layers.map((l) => l.layer));
  const reached = layer === lastLayer ? positions.length : positions[positions.length - 1] + 1;
  return Math.min(reached, result.model.hiddenSize);
}

/**
 * Below the expectation is usual on real text (some x_i or δ_i numerically dependent: 26 of 33
 * in a stories260K layer); above it is impossible, and under a quarter of it is worth a look.
 */
export function rankStatus(rank: number, expected: number): RankStatus {
  if (rank === expected) return 'expected';
  return rank > expected || rank * 4 < expected ? 'suspicious' : 'below';
}

export interface GradientRankSummary {
  /** A rank above its expectation or far below it: the header marks it. */
  suspicious: boolean;
  text: string;
  /** Why the expectation is what it is, for a tooltip or a footnote. */
  explanation: string;
}

export function gradientRankSummary(r: BackwardLensResult): GradientRankSummary {
  const ordered = [...r.layers].sort((a, b) => a.layer - b.layer);
  const layers = ordered.map((l) => {
    const expected = expectedGradientRank(r, l.layer);
    return { layer: l.layer, expected, status: { ff1: rankStatus(l.gradRank.ff1, expected), ff2: rankStatus(l.gradRank.ff2, expected) } };
  });
  const last = layers[layers.length - 1];
  const lower = layers[0];
  const expectation =
    layers.length < 2 || lower.expected === last.expected
      ? `expected ${last.expected} in every layer`
      : `expected ${lower.expected}, ${last.expected} in the last layer`;
  const where = (status: RankStatus): string => {
    const found = layers.filter((l) => l.status.ff1 === status || l.status.ff2 === status).map((l) => l.layer);
    return found.length ? `layer${found.length > 1 ? 's' : ''} ${found.join(', ')}` : '';
  };
  const suspicious = where('suspicious');
  const below = where('below');
  const ranks = ordered.map((l) => `${l.gradRank.ff1}/${l.gradRank.ff2}`).join(' ');
  const text = [
    `FF1/FF2 by layer ${ordered[0].layer}→${ordered[ordered.length - 1].layer}: ${ranks} · ${expectation}`,
    ...(below ? [`lower in ${below} (usual on real text)`] : []),
    ...(suspicious ? [`⚠ check ${suspicious}`] : []),
  ].join(' · ');
  const n = r.tokens.length;
  const positions = lossPositions(r);
  const after = n - 1 - (positions[positions.length - 1] ?? n - 1);
  const explanation =
    `∇W = Σ_i x_iᵀ δ_i adds one outer product per position where δ_i ≠ 0, so its rank is at most their number (and at most d = ${r.model.hiddenSize}). ` +
    `In the last layer δ_i ≠ 0 only at the ${positions.length} loss position${positions.length === 1 ? '' : 's'}; below it, at every position up to the last loss position` +
    (after > 0 ? ` (${after} of the ${n} positions ${after === 1 ? 'comes' : 'come'} after it and carr${after === 1 ? 'ies' : 'y'} no gradient)` : '') +
    '. The paper measured exactly that in over 98.5 % of prompts. A lower rank means some x_i or δ_i are (numerically) dependent, which is usual on real text; ' +
    '⚠ marks a rank above the expectation (impossible) or under a quarter of it.';
  return { suspicious: suspicious !== '', text, explanation };
}

// ---------------------------------------------------------------------------------------------
// Legends

/** One item of a grid's legend; a graphical renderer draws a sample beside `bold`, `shade` and `zero`, a text one keeps what it can show. */
export interface LegendItem {
  kind: 'cell' | 'bold' | 'shade' | 'zero' | 'rank';
  text: string;
}

/** The one-line legend above a grid: what a cell reads, what bold and shade mean, what an empty cell is, how rank counts. */
export function gridLegend(grid: Pick<GridModel, 'name' | 'maxNorm' | 'hasZeroCells'>, emphasis: Emphasis): LegendItem[] {
  const v = GRID_TITLES[grid.name].vector;
  const side = emphasizedSide(grid.name, emphasis);
  const writes = side === UPDATE_SIDE[grid.name] ? `, what the update ${grid.name === 'ff1' ? 'imprints' : 'writes'}` : '';
  return [
    { kind: 'cell', text: `cell: top-1 \\ bottom-1 of LL(${v})` },
    { kind: 'bold', text: `bold: the ${side}${writes}` },
    { kind: 'shade', text: `‖${v}‖ 0–${formatNumber(grid.maxNorm)}` },
    ...(grid.hasZeroCells ? [{ kind: 'zero' as const, text: 'no gradient reaches here (δ_i = 0)' }] : []),
    { kind: 'rank', text: `${RANK_COUNTING[grid.name].label} (${RANK_COUNTING[grid.name].zero})` },
  ];
}

/** The short "how to read this" every renderer can show in full. */
export const HOW_TO_READ: readonly string[] = [
  'Each row is a layer (last layer on top), each column an input token; a long prompt turns the table, tokens as rows. A cell projects one vector into the vocabulary with the model’s own final norm and unembedding, LL(v) = softmax(ln_f(v) · D), and shows its most probable (top) and least probable (bottom) token.',
  'FF1 — imprint: v = x_i, the input FF1 reads. A training step imprints x_i into FF1’s keys, so its top tokens say what is imprinted.',
  'FF2 — shift: v = δ_i = ∂L/∂(FF2 output). A descent step moves FF2’s values along −δ_i, so the bottom tokens of LL(δ_i) are what the update writes.',
  'Rank: of the column’s target token (in training text, of each position’s next token). FF2 counts it from the bottom (0 = what the update writes most), FF1 from the top (0 = the most probable).',
  'Shade: ‖v‖ against the grid’s largest. An empty, hatched cell has δ_i = 0: no loss term at or after that position, so no gradient reaches it — in the last layer everywhere but the loss positions, in every layer after the last loss position.',
];

/** Why the normalized lens barely changes an RMSNorm model's grids; undefined for other models. */
export function normalizedLensNote(r: BackwardLensResult): string | undefined {
  return r.model.architecture === 'llama'
    ? 'This model’s final norm is RMSNorm, which is already scale-invariant: the normalized lens only removes the effect of ε, so the grids barely change. That is expected.'
    : undefined;
}

/**
 * How many characters wide the layers-as-rows table is: per column, the longest of its header
 * and its cells' "top \ bottom". The panel turns it into pixels to choose its layout.
 */
export function wideTableChars(result: BackwardLensResult, grid: GridModel): number {
  const widths = result.tokens.map((t) => visibleToken(t.text).length);
  for (const row of grid.rows) {
    for (const c of row.cells) {
      const chars = c.zero ? 1 : visibleToken(c.top[0]?.text ?? '').length + 3 + visibleToken(c.bottom[0]?.text ?? '').length;
      if (chars > widths[c.position]) widths[c.position] = chars;
    }
  }
  return widths.reduce((sum, w) => sum + w, 0);
}

/** One piece of a header value: plain text, a token (shown as a chip or code span), the user's own text, or a token with its probability. */
export type FactPart = string | { token: string; title?: string } | { userText: string } | { token: string; prob: number };

export interface HeaderFact {
  label: string;
  parts: FactPart[];
  /** Worth the reader's attention (drawn as a note). */
  notable?: boolean;
  /** What the value means, for a tooltip (the panel) or a footnote (the report). */
  explanation?: string;
  /** A stable name for the fact, for renderers that address one (the panel's element ids). */
  key?: string;
  /** A verdict the fact carries (the gradient check's), for renderers that mark one. */
  verdict?: 'pass' | 'fail';
}

/**
 * The header every renderer writes, in order. `provenance` adds what a saved report needs to be
 * traced back (model source, weights hash, creation time); the panel shows those elsewhere.
 */
export function headerFacts(r: BackwardLensResult, provenance: boolean): HeaderFact[] {
  const ranks = gradientRankSummary(r);
  const fact = (label: string, ...parts: FactPart[]): HeaderFact => ({ label, parts });
  const ordered = [...r.layers].sort((a, b) => a.layer - b.layer);
  const norms = (g: GridName): string => ordered.map((l) => formatNumber(l.gradNorm[g])).join(' ');
  const facts: HeaderFact[] = [
    fact('Model', `${r.model.name} · ${r.model.architecture} · ${r.model.layers} layers · d=${r.model.hiddenSize} · vocab ${r.model.vocabSize}`),
    ...(provenance ? [fact('Source', r.model.source), fact('Weights sha256', r.model.sha256)] : []),
    {
      ...fact('Provider', r.executionProvider.toUpperCase(), r.matmuls === 'float16' ? ' · float16 matmuls' : '', r.executionProviderNote ? ' · CUDA unavailable' : ''),
      explanation: r.executionProviderNote ? `CUDA did not run: ${r.executionProviderNote}.` : undefined,
    },
    fact('Loss mode', r.lossMode, ' · lens ', r.lens.normalized ? 'normalized' : 'paper', r.lens.projection === 'float16' ? ' · float16 projection' : '', ` · top-k ${r.lens.topK}`),
    { label: 'Prompt tokens', parts: r.tokens.map((t, i) => ({ token: t.text, title: `position ${i}, id ${t.id}` })) },
    r.lossMode === 'text'
      ? fact('Target', `the selection itself (${r.tokens.length} tokens, each scored on the next)`)
      : fact('Target', ...(r.target ? [{ userText: r.target }, ' → '] : []), ...r.targetIds.map((id) => ({ token: tokenText(r, id) }))),
    // Five digits: losses of two targets are compared to the fourth decimal.
    fact('Loss', formatNumber(r.loss, 5)),
    fact('Predictions', ...r.prediction.map((p) => ({ token: p.text, prob: p.prob }))),
    { ...fact('Gradient rank', ranks.text), notable: ranks.suspicious, explanation: ranks.explanation, key: 'gradient-rank' },
    fact('Gradient norm', `‖∇W‖ by layer ${ordered[0]?.layer ?? 0}→${ordered[ordered.length - 1]?.layer ?? 0}: FF1 ${norms('ff1')} · FF2 ${norms('ff2')}`),
    ...(r.check ? [checkFact(r.check)] : []),
    fact('Timings', `compile ${Math.round(r.timings.compileMs)} ms · run ${Math.round(r.timings.runMs)} ms`),
    ...(provenance ? [fact('Created', r.createdAt)] : []),
  ];
  return facts.map((f) => ({ ...f, parts: f.parts.filter((p) => p !== '') }));
}

function checkFact(check: GradientCheck): HeaderFact {
  const summary = checkSummary(check);
  return { label: 'Gradient check', parts: [summary.text], notable: !summary.passed, explanation: summary.explanation, key: 'gradient-check', verdict: summary.passed ? 'pass' : 'fail' };
}

/** What separates two parts in running text: nothing around plain text, a space between tokens, a comma after a scored one. */
export function partSeparator(previous: FactPart | undefined, part: FactPart): string {
  if (previous === undefined || typeof previous === 'string' || typeof part === 'string' || 'userText' in previous || 'userText' in part) return '';
  return 'prob' in previous ? ', ' : ' ';
}

/** How a result is named in a list of results: when, which loss, the text's start and the target. */
export function resultLabel(r: BackwardLensResult): string {
  const prompt = r.prompt.replace(/\s+/g, ' ').trim();
  const start = prompt.length > 40 ? `${prompt.slice(0, 39)}…` : prompt;
  const time = new Date(r.createdAt);
  const clock = Number.isNaN(time.getTime()) ? '' : `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')} · `;
  const target = r.lossMode === 'text' ? ` (${r.tokens.length} tokens)` : ` → ${visibleToken(r.targetTokens.map((t) => t.text).join(''))}`;
  const options = [r.lens.normalized ? 'normalized' : '', r.neurons ? `${r.neurons.count} neurons` : '', r.check ? 'check' : ''].filter(Boolean);
  return `${clock}${[r.lossMode === 'text' ? 'training text' : r.lossMode, ...options].join(', ')}: “${start}”${target}`;
}
