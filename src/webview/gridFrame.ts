/**
 * What frames a grid's table: a scroller with "◀ N more tokens" / "N more ▶" cues above it
 * while columns are hidden, the wide layout's layer labels beside it (outside the scroller,
 * their heights kept equal to the table's rows), and the opening scroll: the wide layout opens
 * with the last loss column in view and as many whole columns of its left context as fit.
 */
import { h } from './dom';

export interface GridFrame {
  readonly element: HTMLElement;
  /** Scrolls so that column `index` is in view with whole columns before it up to the left edge. */
  scrollToColumn(index: number): void;
}

/** The first index in sorted `values` that is greater than `x` (binary search: the cues update on every scroll). */
function firstAbove(values: number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function frameGrid(table: HTMLTableElement, noun: string, labels?: HTMLElement): GridFrame {
  const scroller = h('div', { class: 'grid-scroll' }, table);
  const before = h('button', { type: 'button', class: 'cue cue-before', hidden: true });
  const after = h('button', { type: 'button', class: 'cue cue-after', hidden: true });
  const cues = h('div', { class: 'grid-cues' }, before, after);
  const element = h('div', {}, cues, h('div', { class: 'grid-frame' }, ...(labels ? [labels] : []), scroller));
  const heads = (): HTMLElement[] => Array.from(table.tHead?.rows[0]?.cells ?? []).filter((c) => c.scope === 'col' && !c.matches('.sr-cell, .corner')) as HTMLElement[];
  let lefts: number[] = [];
  let rights: number[] = [];

  const page = (direction: number): void => scroller.scrollBy({ left: direction * scroller.clientWidth * 0.8 });
  before.addEventListener('click', () => page(-1));
  after.addEventListener('click', () => page(1));

  /** Counts the columns not wholly in view on each side (a pixel of rounding allowed). */
  const updateCues = (): void => {
    const from = scroller.scrollLeft;
    const to = from + scroller.clientWidth;
    const hiddenBefore = firstAbove(lefts, from - 1);
    const hiddenAfter = rights.length - firstAbove(rights, to + 1);
    before.hidden = hiddenBefore === 0;
    after.hidden = hiddenAfter === 0;
    before.textContent = `◀ ${hiddenBefore} more ${noun}`;
    after.textContent = `${hiddenAfter} more ▶`;
    before.setAttribute('aria-label', `${hiddenBefore} more ${noun} to the left: scroll left`);
    after.setAttribute('aria-label', `${hiddenAfter} more ${noun} to the right: scroll right`);
  };

  /** Reads the layout once (columns, row heights), then writes: the labels follow the table's rows. */
  const measure = (): void => {
    const cols = heads();
    lefts = cols.map((c) => c.offsetLeft);
    rights = cols.map((c) => c.offsetLeft + c.offsetWidth);
    if (labels) {
      const heights = Array.from(table.rows, (row) => row.getBoundingClientRect().height);
      Array.from(labels.children).forEach((label, i) => (label as HTMLElement).style.setProperty('height', `${heights[i] ?? 0}px`));
    }
    updateCues();
  };

  scroller.addEventListener('scroll', updateCues, { passive: true });
  // Fonts that load late, a resized panel or a re-laid table change the sizes.
  new ResizeObserver(measure).observe(table);
  new ResizeObserver(updateCues).observe(scroller);
  return {
    element,
    scrollToColumn(index) {
      measure();
      const right = rights[index];
      if (right === undefined) return;
      // Whole columns from the left edge: the first one whose start leaves `index` in view. At
      // the table's end that start may lie past the scroll range; a spacer makes it reachable.
      const first = Math.min(index, firstAbove(lefts, right - scroller.clientWidth - 1));
      const left = lefts[first];
      const spare = left + scroller.clientWidth - scroller.scrollWidth;
      if (spare > 0) table.style.setProperty('margin-right', `${spare}px`);
      scroller.scrollLeft = left;
      updateCues();
    },
  };
}
