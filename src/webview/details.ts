/**
 * The hover / focus details of a grid cell: its top-k and bottom-k tokens with probabilities,
 * the list the reading emphasizes first, in a tooltip placed beside the cell within the window.
 */
import type { ScoredToken } from '../result/schema';
import { formatNumber, formatProb, type GridModel } from '../result/view';
import { h, tokenChip } from './dom';
import type { Part, ShownState } from './state';

export interface Details extends Part {
  /** Shows the details of the cell `target` lies in, if it lies in one of `grid`'s cells. */
  showFor(grid: GridModel, target: Element): void;
  hide(): void;
}

function scoredList(title: string, tokens: ScoredToken[], rankToken: string): HTMLElement {
  return h(
    'div',
    { class: 'detail-list' },
    h('h3', {}, title),
    h(
      'ol',
      {},
      ...tokens.map((t) =>
        h('li', { class: t.text === rankToken ? 'is-target' : undefined }, tokenChip(t.text), h('span', { class: 'prob' }, formatProb(t.prob))),
      ),
    ),
  );
}

/** Below the cell where it fits, else above it; never past the window's left or right edge. */
function place(box: HTMLElement, cell: HTMLElement): void {
  const rect = cell.getBoundingClientRect();
  const boxRect = box.getBoundingClientRect();
  const left = Math.min(window.innerWidth - boxRect.width - 8, Math.max(8, rect.left));
  const below = rect.bottom + 6 + boxRect.height < window.innerHeight;
  box.style.setProperty('left', `${left + window.scrollX}px`);
  box.style.setProperty('top', `${(below ? rect.bottom + 6 : rect.top - boxRect.height - 6) + window.scrollY}px`);
}

export function createDetails(): Details {
  const element = h('div', { id: 'cell-details', role: 'tooltip', class: 'cell-details', hidden: true });
  let current: ShownState | undefined;
  const hide = (): void => {
    element.hidden = true;
  };
  return {
    element,
    update(state) {
      // The cell it describes went with the old result's grids.
      if (state.show !== current?.show) hide();
      current = state;
    },
    showFor(grid, target) {
      const td = target.closest?.('td[role="gridcell"]') as HTMLElement | null;
      if (!td || !current) return;
      const layer = Number(td.closest('tr')?.getAttribute('data-layer'));
      const cell = grid.rows.find((r) => r.layer === layer)?.cells[Number(td.dataset.pos)];
      if (!cell) return;
      const token = current.show.result.tokens[cell.position]?.text ?? '';
      const lists = [scoredList(`top-${cell.top.length}`, cell.top, cell.rankToken), scoredList(`bottom-${cell.bottom.length}`, cell.bottom, cell.rankToken)];
      if (current.reading === 'bottom') lists.reverse();
      element.replaceChildren(
        h('div', { class: 'detail-head' }, `${grid.name.toUpperCase()} · layer ${layer} · position ${cell.position} `, tokenChip(token)),
        h('div', { class: 'detail-meta' }, `‖v‖ = ${formatNumber(cell.norm)} · rank of `, tokenChip(cell.rankToken), ` = ${cell.targetRank}`),
        h('div', { class: 'detail-lists' }, ...lists),
      );
      element.hidden = false;
      td.setAttribute('aria-describedby', 'cell-details');
      place(element, td);
    },
    hide,
  };
}
