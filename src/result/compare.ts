/**
 * Two results compared cell by cell, the math behind the panel's compare view: for each layer ×
 * position of FF1 and FF2, how many of the top and of the bottom tokens the two cells share,
 * their norm ratio and the difference of their ranks. Results of different prompts (paraphrases)
 * are aligned by layer and by position from the end of the prompt. No DOM, so it tests in Node.
 */
import type { BackwardLensResult, ScoredToken } from './schema';
import { buildGrid, type CellModel, type GridName } from './view';

export interface CompareCell {
  /** Position in the current result, and the aligned one in the reference. */
  position: number;
  referencePosition: number;
  /** Either cell has no gradient (δ_i = 0): nothing to compare. */
  zero: boolean;
  /** |A ∩ B| / k of the top-k and of the bottom-k token sets, k the shorter list's length. */
  topOverlap?: number;
  bottomOverlap?: number;
  /** ‖v‖ current / ‖v‖ reference. */
  normRatio?: number;
  /** The rank as the grid counts it, current − reference (a negative one: the current ranks it nearer 0). */
  rankDifference?: number;
}

export interface CompareRow {
  layer: number;
  cells: CompareCell[];
}

export interface Comparison {
  /** Both prompts have the same tokens: every position is compared with itself. */
  samePositions: boolean;
  /** Reference position = current position − offset (aligned from the end). */
  offset: number;
  /** Positions of the current result that have a partner, from `firstPosition` to its last. */
  firstPosition: number;
  /** Last layer first, the layers both results have. */
  grids: Record<GridName, CompareRow[]>;
}

/** Tokens count as the same by id within one model, by text across models (different vocabularies). */
function tokenKey(sameModel: boolean): (t: ScoredToken) => number | string {
  return sameModel ? (t) => t.id : (t) => t.text;
}

/** |A ∩ B| / k, k the shorter list's length; undefined when either list is empty. */
export function tokenOverlap(a: ScoredToken[], b: ScoredToken[], key: (t: ScoredToken) => number | string = (t) => t.id): number | undefined {
  const k = Math.min(a.length, b.length);
  if (k === 0) return undefined;
  const inB = new Set(b.slice(0, k).map(key));
  return a.slice(0, k).filter((t) => inB.has(key(t))).length / k;
}

function compareCell(a: CellModel, b: CellModel, key: (t: ScoredToken) => number | string): CompareCell {
  const where = { position: a.position, referencePosition: b.position };
  if (a.zero || b.zero) return { ...where, zero: true };
  return {
    ...where,
    zero: false,
    topOverlap: tokenOverlap(a.top, b.top, key),
    bottomOverlap: tokenOverlap(a.bottom, b.bottom, key),
    normRatio: b.norm > 0 ? a.norm / b.norm : undefined,
    rankDifference: a.rank !== undefined && b.rank !== undefined ? a.rank - b.rank : undefined,
  };
}

function samePrompt(a: BackwardLensResult, b: BackwardLensResult): boolean {
  return a.tokens.length === b.tokens.length && a.tokens.every((t, i) => t.id === b.tokens[i].id);
}

export function compareResults(current: BackwardLensResult, reference: BackwardLensResult): Comparison {
  const offset = current.tokens.length - reference.tokens.length;
  const firstPosition = Math.max(0, offset);
  const key = tokenKey(current.model.sha256 === reference.model.sha256);
  const grid = (name: GridName): CompareRow[] => {
    const referenceRows = new Map(buildGrid(reference, name).rows.map((row) => [row.layer, row]));
    return buildGrid(current, name).rows.flatMap((row) => {
      const other = referenceRows.get(row.layer);
      if (!other) return [];
      const cells = row.cells.slice(firstPosition).map((cell) => compareCell(cell, other.cells[cell.position - offset], key));
      return [{ layer: row.layer, cells }];
    });
  };
  return { samePositions: samePrompt(current, reference), offset, firstPosition, grids: { ff1: grid('ff1'), ff2: grid('ff2') } };
}

/** The alignment in words, for the view's note. */
export function alignmentNote(c: Comparison, currentTokens: number, referenceTokens: number): string {
  if (c.samePositions) return `Same prompt tokens: each position is compared with itself (${currentTokens} positions).`;
  const shared = currentTokens - c.firstPosition;
  const unpaired = c.offset > 0 ? ` (this result's first ${c.offset} have no partner)` : c.offset < 0 ? ` (the other's first ${-c.offset} have no partner)` : '';
  return `Different prompts (${currentTokens} and ${referenceTokens} tokens): aligned by layer and by position from the end of the prompt, the last ${shared} positions${unpaired}.`;
}
