/**
 * The shown result against a reference (one of this session's, or a saved file), cell by cell
 * (result/compare.ts): per layer × aligned position of FF1 and FF2, the overlap of the top and of
 * the bottom token sets, as "top \ bottom" the way the grids read, the norm ratio and the rank
 * difference as text, and a shade of how much the bold side differs.
 */
import { alignmentNote, compareResults, type CompareCell, type CompareRow } from '../result/compare';
import type { BackwardLensResult } from '../result/schema';
import { emphasizedSide, formatNumber, GRID_TITLES, RANK_COUNTING, resultLabel, visibleToken, type Emphasis, type GridName } from '../result/view';
import { h } from './dom';
import type { Reference } from '../protocol/messages';
import type { Actions, Part } from './state';

const overlapText = (x: number | undefined): string => (x === undefined ? '—' : formatNumber(x, 2));
const signed = (x: number): string => (x > 0 ? `+${x}` : String(x));

function cellTitle(grid: GridName, c: CompareCell, here: string, there: string): string {
  const where = `${grid.toUpperCase()} · position ${c.position} ${here} ↔ ${c.referencePosition} ${there}`;
  if (c.zero) return `${where}: no gradient reaches here in one of the two (δ_i = 0)`;
  return (
    `${where}: top overlap ${overlapText(c.topOverlap)}, bottom overlap ${overlapText(c.bottomOverlap)} (|A∩B|/k); ` +
    `‖v‖ this / other ${c.normRatio === undefined ? '—' : formatNumber(c.normRatio)}; ${RANK_COUNTING[grid].label}, this − other: ${c.rankDifference === undefined ? '—' : signed(c.rankDifference)}`
  );
}

function compareCell(grid: GridName, c: CompareCell, emphasis: Emphasis, here: string, there: string): HTMLElement {
  const side = emphasizedSide(grid, emphasis);
  const bold = side === 'top' ? c.topOverlap : c.bottomOverlap;
  const data = c.zero
    ? {}
    : { 'data-top-overlap': c.topOverlap, 'data-bottom-overlap': c.bottomOverlap, 'data-norm-ratio': c.normRatio, 'data-rank-difference': c.rankDifference };
  const td = h(
    'td',
    { 'data-pos': c.position, 'data-reference-pos': c.referencePosition, ...data, class: c.zero ? 'zero-cell' : undefined, title: cellTitle(grid, c, here, there) },
    ...(c.zero
      ? []
      : [
          h('span', { class: 'overlap' }, h('span', { class: side === 'top' ? 'cell-top bold' : 'cell-top' }, overlapText(c.topOverlap)), h('span', { class: 'cell-sep' }, ' \\ '), h('span', { class: side === 'bottom' ? 'cell-bottom bold' : 'cell-bottom' }, overlapText(c.bottomOverlap))),
          h('span', { class: 'ratio' }, `×${c.normRatio === undefined ? '—' : formatNumber(c.normRatio, 3)} Δ${c.rankDifference === undefined ? '—' : signed(c.rankDifference)}`),
        ]),
  );
  td.style.setProperty('--difference', bold === undefined ? '0' : (1 - bold).toFixed(3));
  return td;
}

function compareTable(grid: GridName, rows: CompareRow[], current: BackwardLensResult, reference: BackwardLensResult, emphasis: Emphasis): HTMLElement {
  const here = (p: number) => visibleToken(current.tokens[p]?.text ?? '');
  const there = (p: number) => visibleToken(reference.tokens[p]?.text ?? '');
  const columns = rows[0]?.cells ?? [];
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'layer'),
    ...columns.map((c) => h('th', { scope: 'col', 'data-pos': c.position }, here(c.position), ...(there(c.referencePosition) === here(c.position) ? [] : [h('br', {}), h('span', { class: 'other-token' }, there(c.referencePosition))]))),
  );
  const body = rows.map((row) =>
    h('tr', { 'data-layer': row.layer }, h('th', { scope: 'row' }, `L${row.layer}`), ...row.cells.map((c) => compareCell(grid, c, emphasis, here(c.position), there(c.referencePosition)))),
  );
  return h('table', { class: 'compare-table', 'data-grid': grid }, h('thead', {}, head), h('tbody', {}, ...body));
}

function legend(emphasis: Emphasis): HTMLElement {
  const sides = (['ff1', 'ff2'] as const).map((g) => `${g.toUpperCase()} ${emphasizedSide(g, emphasis)}`).join(', ');
  return h(
    'p',
    { class: 'grid-legend' },
    h('span', {}, 'cell: top \\ bottom overlap, |A∩B|/k of the two cells’ token sets'),
    ' · ',
    h('span', {}, h('span', { class: 'difference-ramp', 'aria-hidden': 'true' }), ` shade: how much the bold side differs (${sides}), none = the same tokens, full = none shared`),
    ' · ',
    h('span', {}, '× ‖v‖ this / other · Δ rank this − other, as each grid counts it'),
    ' · ',
    h('span', {}, h('span', { class: 'zero-swatch', 'aria-hidden': 'true' }), ' no gradient in one of the two'),
  );
}

export function createCompareView(actions: Actions): Part {
  const close = h('button', { type: 'button', id: 'close-compare' }, 'Close');
  close.addEventListener('click', () => actions.closeCompare());
  const title = h('span', { class: 'subtitle' });
  const body = h('div', {});
  const element = h('section', { id: 'compare-view', class: 'experiment', hidden: true, 'aria-label': 'Compare' }, h('h2', {}, 'Compare ', title, ' ', close), body);
  let drawn: [unknown, unknown, unknown] = [undefined, undefined, undefined];
  return {
    element,
    update(state) {
      const reference: Reference | undefined = state.reference;
      element.hidden = !reference;
      if (!reference || (drawn[0] === state.show && drawn[1] === reference && drawn[2] === state.reading)) return;
      const opened = drawn[1] !== reference;
      drawn = [state.show, reference, state.reading];
      const current = state.show.result;
      const other = reference.result;
      const comparison = compareResults(current, other);
      title.textContent = `this result against ${reference.label}`;
      body.replaceChildren(
        h('p', { class: 'hint compare-sides' }, `This: ${resultLabel(current)}`, h('br', {}), `Other: ${resultLabel(other)}`),
        h('p', { class: 'hint', id: 'compare-alignment' }, alignmentNote(comparison, current.tokens.length, other.tokens.length)),
        legend(state.reading),
        ...(['ff1', 'ff2'] as const).flatMap((g) => [
          h('h3', {}, `${GRID_TITLES[g].title}`),
          h('div', { class: 'compare-scroll' }, compareTable(g, comparison.grids[g], current, other, state.reading)),
        ]),
      );
      // Aligned from the end: the last positions are the ones both have.
      body.querySelectorAll<HTMLElement>('.compare-scroll').forEach((scroller) => (scroller.scrollLeft = scroller.scrollWidth));
      if (opened) element.scrollIntoView({ block: 'start' });
    },
  };
}
