/**
 * Keyboard movement inside a grid (the WAI-ARIA grid pattern): arrow keys, Home/End (with Ctrl,
 * the grid's corners) and PageUp/PageDown move focus between cells and onto the token headers,
 * above the cells in the wide layout and left of them in the compact one; one element of the
 * grid is tabbable at a time (roving tabindex).
 */

/** Where Enter / Space and Escape go; both get the input position of the focused element. */
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
  const cellsOf = (row: HTMLTableRowElement): HTMLElement[] => Array.from(row.querySelectorAll('td'));
  const headersAbove = table.dataset.layout !== 'compact';
  const topHeaders = Array.from(table.tHead?.querySelectorAll('button.token-header') ?? []) as HTMLElement[];
  const isHeader = current.matches('button.token-header');
  const tr = current.closest('tr') as HTMLTableRowElement;
  // Headers sit on row −1 (wide) or column −1 (compact).
  const row = isHeader && headersAbove ? -1 : rows.indexOf(tr);
  const col = isHeader ? (headersAbove ? topHeaders.indexOf(current) : -1) : cellsOf(tr).indexOf(current);
  const cols = rows[0] ? cellsOf(rows[0]).length : 0;
  const minRow = headersAbove && topHeaders.length > 0 ? -1 : 0;
  const minCol = !headersAbove && table.tBodies[0].querySelector('button.token-header') ? -1 : 0;
  let next: [number, number] | undefined;
  switch (e.key) {
    case 'ArrowRight': next = [row, Math.min(cols - 1, col + 1)]; break;
    case 'ArrowLeft': next = [row, Math.max(minCol, col - 1)]; break;
    case 'ArrowDown': next = [Math.min(rows.length - 1, row + 1), col]; break;
    case 'ArrowUp': next = [Math.max(minRow, row - 1), col]; break;
    case 'Home': next = e.ctrlKey ? [0, 0] : [row, 0]; break;
    case 'End': next = e.ctrlKey ? [rows.length - 1, cols - 1] : [row, cols - 1]; break;
    case 'PageUp': next = [0, col]; break;
    case 'PageDown': next = [rows.length - 1, col]; break;
    case 'Enter':
    case ' ':
      e.preventDefault();
      if (isHeader) actions.activateHeader(Number(current.getAttribute('data-pos')));
      else actions.activateCell(Number(current.getAttribute('data-pos')));
      return;
    case 'Escape': actions.dismiss(); return;
    default: return;
  }
  e.preventDefault();
  const [r, c] = next;
  const target =
    r < 0 ? topHeaders[c] : c < 0 ? (rows[r].querySelector('button.token-header') as HTMLElement | null) : cellsOf(rows[r])[c];
  if (target) focusCell(table, target);
}
