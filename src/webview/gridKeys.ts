/**
 * Keyboard movement inside a grid (the WAI-ARIA grid pattern): arrow keys, Home/End (with Ctrl,
 * the grid's corners) and PageUp/PageDown move focus between cells and up into the column
 * headers; one element of the grid is tabbable at a time (roving tabindex).
 */

/** Where Enter / Space and Escape go. */
export interface GridKeyActions {
  activateHeader(position: number): void;
  activateCell(position: number): void;
  dismiss(): void;
}

/** Moves the grid's one tabbable element to `target` and focuses it. */
export function focusCell(table: HTMLTableElement, target: HTMLElement): void {
  table.querySelectorAll('[role="gridcell"][tabindex="0"], .token-header[tabindex="0"]').forEach((el) => el.setAttribute('tabindex', '-1'));
  target.setAttribute('tabindex', '0');
  target.focus();
}

export function onGridKey(table: HTMLTableElement, e: KeyboardEvent, actions: GridKeyActions): void {
  const current = (e.target as Element).closest('td[role="gridcell"], button.token-header') as HTMLElement | null;
  if (!current) return;
  const rows = Array.from(table.tBodies[0].rows);
  const isHeader = current.matches('button.token-header');
  const col = Number(current.getAttribute('data-pos'));
  const row = isHeader ? -1 : rows.indexOf(current.closest('tr') as HTMLTableRowElement);
  const cols = rows[0]?.querySelectorAll('td').length ?? 0;
  let next: [number, number] | undefined;
  switch (e.key) {
    case 'ArrowRight': next = [row, Math.min(cols - 1, col + 1)]; break;
    case 'ArrowLeft': next = [row, Math.max(0, col - 1)]; break;
    case 'ArrowDown': next = [Math.min(rows.length - 1, row + 1), col]; break;
    case 'ArrowUp': next = [Math.max(table.querySelector('button.token-header') ? -1 : 0, row - 1), col]; break;
    case 'Home': next = e.ctrlKey ? [0, 0] : [row, 0]; break;
    case 'End': next = e.ctrlKey ? [rows.length - 1, cols - 1] : [row, cols - 1]; break;
    case 'PageUp': next = [0, col]; break;
    case 'PageDown': next = [rows.length - 1, col]; break;
    case 'Enter':
    case ' ':
      e.preventDefault();
      if (isHeader) actions.activateHeader(col);
      else actions.activateCell(col);
      return;
    case 'Escape': actions.dismiss(); return;
    default: return;
  }
  e.preventDefault();
  const [r, c] = next;
  const target =
    r < 0
      ? (table.querySelector(`button.token-header[data-pos="${c}"]`) as HTMLElement | null)
      : (rows[r].querySelectorAll('td')[c] as HTMLElement | undefined);
  if (target) focusCell(table, target);
}
