/**
 * A grid's table, in either layout: `wide` has a row per layer (last layer first) and a column
 * per token, as the paper prints it; `compact` turns it for long prompts, a row per token and a
 * column per layer. Cells are the same in both and say which layer and position they are, so
 * hover, keyboard and selection need not know the layout. Token strings go in as text, made
 * visible (␣, ↵, \uXXXX) by visibleToken.
 */
import type { GridLayout } from '../protocol/messages';
import { formatNumber, GRID_TITLES, RANK_COUNTING, visibleToken, type CellModel, type GridModel, type GridName, type RowModel, type Side } from '../result/view';
import { h } from './dom';
import type { ShownState } from './state';

function cellLabel(grid: GridName, layer: number, token: string, cell: CellModel): string {
  const where = `${grid.toUpperCase()} layer ${layer}, token ${visibleToken(token)}`;
  if (cell.zero) return `${where}: no gradient reaches here`;
  const top = cell.top[0] ? visibleToken(cell.top[0].text) : '—';
  const bottom = cell.bottom[0] ? visibleToken(cell.bottom[0].text) : '—';
  return `${where}: top ${top}, bottom ${bottom}, norm ${formatNumber(cell.norm)}, ${RANK_COUNTING[grid].label} of ${visibleToken(cell.rankToken)} ${cell.rank ?? '—'}`;
}

function renderCell(grid: GridName, layer: number, token: string, cell: CellModel, first: boolean, selected: boolean): HTMLElement {
  // A zero vector (δ where no loss reaches) projects to the uniform distribution: its "top"
  // tokens are ties broken by id, so the cell shows no tokens and no rank at all.
  const lists = cell.zero ? {} : { 'data-top': JSON.stringify(cell.top.map((t) => t.text)), 'data-bottom': JSON.stringify(cell.bottom.map((t) => t.text)), 'data-rank': cell.rank };
  const td = h(
    'td',
    {
      role: 'gridcell',
      'data-layer': layer,
      'data-pos': cell.position,
      'data-norm': cell.norm,
      ...lists,
      tabindex: first ? 0 : -1,
      'aria-label': cellLabel(grid, layer, token, cell),
      'aria-selected': String(selected),
      class: [cell.zero ? 'zero-cell' : '', selected ? 'selected-col' : ''].join(' ').trim() || undefined,
    },
    ...(cell.zero
      ? []
      : [
          h('span', { class: 'cell-top' }, visibleToken(cell.top[0]?.text ?? '')),
          h('span', { class: 'cell-sep', 'aria-hidden': 'true' }, ' \\ '),
          h('span', { class: 'cell-bottom' }, visibleToken(cell.bottom[0]?.text ?? '')),
        ]),
  );
  // CSSOM writes are allowed under the CSP; `style="…"` attributes would not be.
  td.style.setProperty('--intensity', cell.intensity.toFixed(3));
  return td;
}

/** A token's header: a button that reveals it in the editor where the host can, else plain text. */
function tokenHeader(state: ShownState, position: number, label: string): HTMLElement {
  return state.show.capabilities.reveal
    ? h('button', { type: 'button', class: 'token-header', 'data-pos': position, title: 'Reveal in the editor', tabindex: -1 }, label)
    : h('span', { class: 'token-header' }, label);
}

const rowTitle = (row: RowModel): string => `‖∇W‖ = ${formatNumber(row.gradNorm)}, rank ${row.gradRank}`;

/** Layers as rows. The layer labels also stand outside the scroller (gridFrame), so these row headers are for screen readers only. */
function wideTable(grid: GridModel, state: ShownState): HTMLElement[] {
  const { result } = state.show;
  const heads = result.tokens.map((t, i) =>
    h('th', { scope: 'col', role: 'columnheader', 'data-pos': i, class: i === state.selectedPosition ? 'selected-col' : undefined }, tokenHeader(state, i, visibleToken(t.text))),
  );
  return [
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'sr-cell' }, 'layer'), ...heads)),
    h(
      'tbody',
      {},
      ...grid.rows.map((row, r) =>
        h(
          'tr',
          { 'data-layer': row.layer },
          h('th', { scope: 'row', role: 'rowheader', class: 'sr-cell' }, `L${row.layer}`),
          ...row.cells.map((cell, c) => renderCell(grid.name, row.layer, result.tokens[c].text, cell, r === 0 && c === 0, cell.position === state.selectedPosition)),
        ),
      ),
    ),
  ];
}

/** Tokens as rows, layers as columns (last layer first, as in the wide table's rows). */
function compactTable(grid: GridModel, state: ShownState): HTMLElement[] {
  const { result } = state.show;
  const heads = grid.rows.map((row) => h('th', { scope: 'col', role: 'columnheader', 'data-layer': row.layer, title: rowTitle(row) }, `L${row.layer}`));
  return [
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'corner' }, 'token'), ...heads)),
    h(
      'tbody',
      {},
      ...result.tokens.map((t, i) =>
        h(
          'tr',
          { 'data-pos': i },
          h('th', { scope: 'row', role: 'rowheader', 'data-pos': i, class: i === state.selectedPosition ? 'selected-col' : undefined }, tokenHeader(state, i, `${i} ${visibleToken(t.text)}`)),
          ...grid.rows.map((row, r) => renderCell(grid.name, row.layer, t.text, row.cells[i], r === 0 && i === 0, i === state.selectedPosition)),
        ),
      ),
    ),
  ];
}

export function renderGridTable(grid: GridModel, state: ShownState, layout: GridLayout, side: Side): HTMLTableElement {
  const titles = GRID_TITLES[grid.name];
  const axes = layout === 'wide' ? 'rows are layers, last layer first; columns are tokens' : 'rows are tokens; columns are layers, last layer first';
  return h(
    'table',
    { role: 'grid', 'data-grid': grid.name, 'data-layout': layout, 'data-reading': side, 'aria-label': `${titles.title}: ${titles.subtitle}; ${axes}` },
    ...(layout === 'wide' ? wideTable(grid, state) : compactTable(grid, state)),
  );
}

/** The layer labels beside a wide table, outside its scroller so that they never cover a cell. */
export function layerLabels(grid: GridModel): HTMLElement {
  return h(
    'div',
    { class: 'row-labels', 'aria-hidden': 'true' },
    h('div', { class: 'row-label corner' }, 'layer'),
    ...grid.rows.map((row) => h('div', { class: 'row-label', title: rowTitle(row) }, `L${row.layer}`)),
  );
}
