/**
 * One vocabulary-projection grid (FF1 or FF2): a row per layer, last layer first, a column per
 * input token, each cell the top \ bottom token of LL(v) on a heatmap of ‖v‖. A new result
 * rebuilds the table; the reading and the selected column are patched in place, so focus,
 * scroll position and the roving tabindex stay where they are.
 */
import type { ShowMessage } from '../protocol/messages';
import { buildGrid, formatNumber, GRID_TITLES, visibleToken, type CellModel, type GridModel, type GridName } from '../result/view';
import type { Details } from './details';
import { h } from './dom';
import { focusCell, onGridKey } from './gridKeys';
import type { Actions, Part, ShownState } from './state';

function cellLabel(grid: GridName, layer: number, token: string, cell: CellModel): string {
  const top = cell.top[0] ? visibleToken(cell.top[0].text) : '—';
  const bottom = cell.bottom[0] ? visibleToken(cell.bottom[0].text) : '—';
  return `${grid.toUpperCase()} layer ${layer}, token ${visibleToken(token)}: top ${top}, bottom ${bottom}, norm ${formatNumber(cell.norm)}, rank of ${visibleToken(cell.rankToken)} ${cell.targetRank}`;
}

function renderCell(grid: GridName, layer: number, token: string, cell: CellModel, first: boolean, selected: boolean): HTMLElement {
  const td = h(
    'td',
    {
      role: 'gridcell',
      'data-pos': cell.position,
      'data-top': JSON.stringify(cell.top.map((t) => t.text)),
      'data-bottom': JSON.stringify(cell.bottom.map((t) => t.text)),
      'data-norm': cell.norm,
      'data-rank': cell.targetRank,
      tabindex: first ? 0 : -1,
      'aria-label': cellLabel(grid, layer, token, cell),
      'aria-selected': String(selected),
      class: selected ? 'selected-col' : undefined,
    },
    // A zero vector (δ where no loss reaches) projects to the uniform distribution: its "top"
    // tokens are ties broken by id, so the cell says 0 instead of showing them.
    ...(cell.norm === 0
      ? [h('span', { class: 'cell-zero', title: 'zero vector: no gradient reaches this position' }, '0')]
      : [
          h('span', { class: 'cell-top' }, cell.top[0]?.text ?? ''),
          h('span', { class: 'cell-sep', 'aria-hidden': 'true' }, ' \\ '),
          h('span', { class: 'cell-bottom' }, cell.bottom[0]?.text ?? ''),
        ]),
  );
  // CSSOM writes are allowed under the CSP; `style="…"` attributes would not be.
  td.style.setProperty('--intensity', cell.intensity.toFixed(3));
  return td;
}

function renderTable(grid: GridModel, state: ShownState): HTMLTableElement {
  const { result, capabilities } = state.show;
  const titles = GRID_TITLES[grid.name];
  const headerCells = result.tokens.map((t, i) => {
    const label = visibleToken(t.text);
    const content = capabilities.reveal
      ? h('button', { type: 'button', class: 'token-header', 'data-pos': i, title: 'Reveal in the editor', tabindex: -1 }, label)
      : h('span', { class: 'token-header' }, label);
    return h('th', { scope: 'col', role: 'columnheader', 'data-pos': i, class: i === state.selectedPosition ? 'selected-col' : undefined }, content);
  });
  return h(
    'table',
    { role: 'grid', 'data-grid': grid.name, 'data-reading': state.reading, 'aria-label': `${titles.title}: ${titles.subtitle}; rows are layers, last layer first` },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'corner' }, 'layer'), ...headerCells)),
    h(
      'tbody',
      {},
      ...grid.rows.map((row, r) =>
        h(
          'tr',
          { 'data-layer': row.layer },
          h('th', { scope: 'row', role: 'rowheader', title: `‖∇W‖ = ${formatNumber(row.gradNorm)}, rank ${row.gradRank}` }, `L${row.layer}`),
          ...row.cells.map((cell, c) => renderCell(grid.name, row.layer, result.tokens[c].text, cell, r === 0 && c === 0, cell.position === state.selectedPosition)),
        ),
      ),
    ),
  );
}

function normLegend(grid: GridModel): HTMLElement {
  return h(
    'div',
    { class: 'norm-legend', 'aria-label': `Cell background encodes ‖v‖, from 0 to ${formatNumber(grid.maxNorm)}` },
    h('span', {}, '‖v‖ 0'),
    h('span', { class: 'norm-ramp', 'aria-hidden': 'true' }),
    h('span', {}, formatNumber(grid.maxNorm)),
  );
}

/** Listens on the table itself: the hover details follow the pointer over cells, not over the scroller's empty width. */
function listen(table: HTMLTableElement, grid: GridModel, actions: Actions, details: Details): void {
  table.addEventListener('keydown', (e) =>
    onGridKey(table, e, { activateHeader: actions.reveal, activateCell: actions.toggleColumn, dismiss: details.hide }),
  );
  table.addEventListener('focusin', (e) => details.showFor(grid, e.target as Element));
  table.addEventListener('mouseover', (e) => details.showFor(grid, e.target as Element));
  table.addEventListener('mouseleave', details.hide);
  table.addEventListener('focusout', details.hide);
  table.addEventListener('click', (e) => {
    const target = e.target as Element;
    const header = target.closest('button.token-header');
    if (header) {
      actions.reveal(Number(header.getAttribute('data-pos')));
      return;
    }
    const cell = target.closest('td[role="gridcell"]') as HTMLElement | null;
    if (cell) {
      focusCell(table, cell);
      actions.toggleColumn(Number(cell.dataset.pos));
    }
  });
}

function markSelected(table: HTMLTableElement, position: number | undefined): void {
  table.querySelectorAll('th[data-pos], td[role="gridcell"]').forEach((el) => {
    const selected = Number(el.getAttribute('data-pos')) === position;
    el.classList.toggle('selected-col', selected);
    if (el.matches('td')) el.setAttribute('aria-selected', String(selected));
  });
}

export function createGrid(name: GridName, actions: Actions, details: Details): Part {
  const titles = GRID_TITLES[name];
  const element = h('div', { class: 'grid-block' });
  const title = h('h2', {}, titles.title, h('span', { class: 'subtitle' }, ` ${titles.subtitle}`));
  let drawn: { show: ShowMessage; table: HTMLTableElement; selected?: number } | undefined;
  return {
    element,
    update(state) {
      if (!drawn || state.show !== drawn.show) {
        const grid = buildGrid(state.show.result, name);
        const table = renderTable(grid, state);
        listen(table, grid, actions, details);
        const scroller = h('div', { class: 'grid-scroll' }, table);
        element.replaceChildren(title, normLegend(grid), scroller);
        // Long prompts overflow: start at the right edge, where the last prompt token (the
        // paper's focus, and the loss position) sits.
        scroller.scrollLeft = scroller.scrollWidth;
        drawn = { show: state.show, table, selected: state.selectedPosition };
        return;
      }
      drawn.table.setAttribute('data-reading', state.reading);
      if (state.selectedPosition !== drawn.selected) {
        drawn.selected = state.selectedPosition;
        markSelected(drawn.table, drawn.selected);
      }
    },
  };
}
