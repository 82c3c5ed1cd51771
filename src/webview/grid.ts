/**
 * One vocabulary-projection grid (FF1 or FF2): its title, a one-line legend, and the table in
 * the layout the state chooses (layers as rows until the table would be more than three views
 * wide, then tokens as rows; the user can pick either). A new result or layout rebuilds the
 * table and, in the wide layout, opens it at the last loss column; the reading and the selected
 * column are patched in place, so focus, scroll and the roving tabindex stay where they are.
 */
import type { GridLayout, ShowMessage } from '../protocol/messages';
import { buildGrid, emphasizedSide, GRID_TITLES, gridLegend, lastLossPosition, type Emphasis, type GridModel, type GridName } from '../result/view';
import type { Details } from './details';
import { h } from './dom';
import { frameGrid } from './gridFrame';
import { focusCell, onGridKey } from './gridKeys';
import { layerLabels, renderGridTable } from './gridTable';
import { effectiveLayout } from './layout';
import type { Actions, Part } from './state';

function legend(grid: GridModel, emphasis: Emphasis): HTMLElement {
  const items = gridLegend(grid, emphasis).map((item) => {
    switch (item.kind) {
      case 'bold':
        return h('span', { class: 'legend-bold' }, item.text);
      case 'shade':
        return h('span', {}, h('span', { class: 'norm-ramp', 'aria-hidden': 'true' }), ' ', item.text);
      case 'zero':
        return h('span', {}, h('span', { class: 'zero-swatch', 'aria-hidden': 'true' }), ' ', item.text);
      default:
        return h('span', {}, item.text);
    }
  });
  return h('p', { class: 'grid-legend' }, ...items.flatMap((item, i) => (i ? [h('span', { class: 'legend-sep', 'aria-hidden': 'true' }, ' · '), item] : [item])));
}

/**
 * Listens on the table itself. The details follow the pointer until a key moves the focus;
 * from then on they follow the focused cell, and mouseover events from content scrolling under
 * a resting pointer are ignored until the pointer really moves.
 */
function listen(table: HTMLTableElement, grid: GridModel, actions: Actions, details: Details): void {
  let keyboard = false;
  table.addEventListener('keydown', (e) => {
    keyboard = true;
    onGridKey(table, e, { activateHeader: actions.reveal, activateCell: actions.toggleColumn, dismiss: details.hide });
  });
  table.addEventListener('pointermove', (e) => {
    if (keyboard && (e.movementX !== 0 || e.movementY !== 0)) {
      keyboard = false;
      details.showFor(grid, e.target as Element);
    }
  });
  table.addEventListener('focusin', (e) => details.showFor(grid, e.target as Element));
  table.addEventListener('mouseover', (e) => {
    if (!keyboard) details.showFor(grid, e.target as Element);
  });
  table.addEventListener('mouseleave', () => {
    if (!keyboard) details.hide();
  });
  table.addEventListener('focusout', (e) => {
    if (!table.contains(e.relatedTarget as Node | null)) details.hide();
  });
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
  let drawn: { show: ShowMessage; layout: GridLayout; grid: GridModel; table: HTMLTableElement; reading: Emphasis; selected?: number } | undefined;
  return {
    element,
    update(state) {
      const layout = effectiveLayout(state);
      if (!drawn || state.show !== drawn.show || layout !== drawn.layout) {
        const grid = drawn?.show === state.show ? drawn.grid : buildGrid(state.show.result, name);
        const table = renderGridTable(grid, state, layout, emphasizedSide(name, state.reading));
        listen(table, grid, actions, details);
        const frame = frameGrid(table, layout === 'wide' ? 'tokens' : 'layers', layout === 'wide' ? layerLabels(grid) : undefined);
        element.replaceChildren(title, legend(grid, state.reading), frame.element);
        element.dataset.layout = layout;
        // The loss sits at the last loss position: open there, with the tokens before it in view.
        if (layout === 'wide') frame.scrollToColumn(lastLossPosition(state.show.result));
        drawn = { show: state.show, layout, grid, table, reading: state.reading, selected: state.selectedPosition };
        return;
      }
      if (state.reading !== drawn.reading) {
        drawn.reading = state.reading;
        drawn.table.setAttribute('data-reading', emphasizedSide(name, state.reading));
        element.replaceChild(legend(drawn.grid, state.reading), element.children[1]);
      }
      if (state.selectedPosition !== drawn.selected) {
        drawn.selected = state.selectedPosition;
        markSelected(drawn.table, drawn.selected);
      }
    },
  };
}
