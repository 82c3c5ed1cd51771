/**
 * Which layout the grids use: the user's choice, else the wide one (layers as rows, as the
 * paper prints it) while its table is at most three views wide, and tokens as rows past that.
 * Decided once per result, from both grids, so that the two always agree.
 */
import type { GridLayout, ShowMessage } from '../protocol/messages';
import { buildGrid, wideTableChars } from '../result/view';
import type { PageState } from './state';

/**
 * Past this many views of width, a wide table reads worse than one turned on its side: the
 * 14-token prompt (≈ 2.3 views of an 800 px panel) stays wide, a 26-token one (≈ 3.5) turns.
 */
const WIDE_UP_TO_VIEWS = 3;
/** Per column: the cell's horizontal padding and border (media/webview.css). */
const COLUMN_CHROME_PX = 14;

const chosen = new WeakMap<ShowMessage, GridLayout>();

/** The width of one character of the grids' (editor) font, measured once. */
let charPx: number | undefined;
function characterWidth(): number {
  if (charPx === undefined) {
    const probe = document.createElement('span');
    probe.className = 'char-probe';
    probe.textContent = '0'.repeat(40);
    document.body.append(probe);
    charPx = probe.getBoundingClientRect().width / 40 || 8;
    probe.remove();
  }
  return charPx;
}

export function autoLayout(show: ShowMessage): GridLayout {
  let layout = chosen.get(show);
  if (!layout) {
    const { result } = show;
    const chars = Math.max(wideTableChars(result, buildGrid(result, 'ff1')), wideTableChars(result, buildGrid(result, 'ff2')));
    const width = chars * characterWidth() + result.tokens.length * COLUMN_CHROME_PX;
    layout = width > WIDE_UP_TO_VIEWS * document.documentElement.clientWidth ? 'compact' : 'wide';
    chosen.set(show, layout);
  }
  return layout;
}

export function effectiveLayout(state: PageState & { show: ShowMessage }): GridLayout {
  return state.layout ?? autoLayout(state.show);
}
