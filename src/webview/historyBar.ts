/**
 * This session's results, where the host keeps them: a list to show any of them here again,
 * and "Open in new panel" to keep the one shown beside the next analysis.
 */
import { h } from './dom';
import type { Actions, Part } from './state';

export function createHistoryBar(actions: Actions): Part {
  const select = h('select', { id: 'history-select' });
  const openNew = h('button', { type: 'button', id: 'open-new-panel', title: 'Keep this result in a panel of its own: new analyses go to the main panel' }, 'Open in new panel');
  let shownId: number | undefined;
  select.addEventListener('change', () => {
    const id = Number(select.value);
    if (Number.isInteger(id) && id !== shownId) actions.openResult(id, false);
  });
  openNew.addEventListener('click', () => {
    if (shownId !== undefined) actions.openResult(shownId, true);
  });
  const element = h('div', { class: 'history-bar', hidden: true }, h('label', { for: 'history-select' }, 'Result'), select, openNew);
  let drawn: unknown;
  return {
    element,
    update(state) {
      element.hidden = !state.show.capabilities.history || state.history.length === 0;
      shownId = state.show.historyId;
      openNew.disabled = shownId === undefined;
      if (drawn === state.history && select.value === String(shownId)) return;
      drawn = state.history;
      select.replaceChildren(
        ...state.history.map((entry) => h('option', { value: entry.id, selected: entry.id === shownId }, entry.label)),
        ...(shownId === undefined || state.history.some((e) => e.id === shownId) ? [] : [h('option', { value: '', selected: true }, 'this result')]),
      );
      select.setAttribute('aria-label', `Result: ${state.history.length} of this session`);
    },
  };
}
