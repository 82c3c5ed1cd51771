/**
 * The hover / focus details of a grid cell: its top-k and bottom-k tokens with probabilities,
 * the side the page emphasizes first, the rank as the grid counts it, in a tooltip placed beside
 * the cell within the window. A cell no gradient reaches says so, with no tokens or rank.
 */
import type { ScoredToken } from '../result/schema';
import { emphasizedSide, formatNumber, formatProb, RANK_COUNTING, UPDATE_SIDE, type GridModel, type RowModel } from '../result/view';
import { h, tokenChip } from './dom';
import type { Part, ShownState } from './state';

export interface Details extends Part {
  /** Shows the details of the cell `target` lies in; hides them when it lies in none of `grid`'s cells. */
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

/** Each grid's rows by layer, looked up on every hover. */
const rowIndexes = new WeakMap<GridModel, Map<number, RowModel>>();
function rowOf(grid: GridModel, layer: number): RowModel | undefined {
  let index = rowIndexes.get(grid);
  if (!index) rowIndexes.set(grid, (index = new Map(grid.rows.map((r) => [r.layer, r]))));
  return index.get(layer);
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
      const layer = Number(td?.dataset.layer);
      const cell = td && current ? rowOf(grid, layer)?.cells[Number(td.dataset.pos)] : undefined;
      // On a token header, say, the details of the last cell would be stale.
      if (!td || !current || !cell) {
        hide();
        return;
      }
      const token = current.show.result.tokens[cell.position]?.text ?? '';
      const head = h('div', { class: 'detail-head' }, `${grid.name.toUpperCase()} · layer ${layer} · position ${cell.position} `, tokenChip(token));
      if (cell.zero) {
        element.replaceChildren(head, h('p', { class: 'detail-meta' }, 'No gradient reaches here: δ_i = 0. No loss term depends on this position (in the last layer, none sits at it; below, none at or after it), so it has no tokens and no rank.'));
      } else {
        const counting = RANK_COUNTING[grid.name];
        const side = emphasizedSide(grid.name, current.reading);
        const lists = [scoredList(`top-${cell.top.length}`, cell.top, cell.rankToken), scoredList(`bottom-${cell.bottom.length}`, cell.bottom, cell.rankToken)];
        if (side === 'bottom') lists.reverse();
        element.replaceChildren(
          head,
          h(
            'div',
            { class: 'detail-meta' },
            `‖v‖ = ${formatNumber(cell.norm)} · ${counting.label} of `,
            tokenChip(cell.rankToken),
            ' = ',
            h('span', { class: 'detail-rank' }, String(cell.rank ?? '—')),
            ` (${counting.zero})`,
          ),
          h('div', { class: 'detail-lists' }, ...lists),
          h('p', { class: 'detail-note' }, `First: the ${side}${side === UPDATE_SIDE[grid.name] ? `, what the update ${grid.name === 'ff1' ? 'imprints' : 'writes'}` : ''}.`),
        );
      }
      element.hidden = false;
      td.setAttribute('aria-describedby', 'cell-details');
      place(element, td);
    },
    hide,
  };
}
