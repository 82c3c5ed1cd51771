/**
 * The toolbar: the normalized-lens toggle (and why it barely changes an RMSNorm model), which
 * side of each cell is bold, the grids' layout, Save, and the status line. Its controls stay
 * put while results come and go, so only their states are patched.
 */
import type { GridLayout, Reading } from '../protocol/messages';
import { normalizedLensNote } from '../result/view';
import { h } from './dom';
import { autoLayout } from './layout';
import { busyText, type Actions, type Part, type ShownState } from './state';

const ARROWS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'];

export interface Choice<T> {
  value: T;
  id: string;
  label: string;
  title?: string;
}

/** A radio group of buttons; arrow keys move the choice, as in a native radio group. */
export function segmented<T>(label: string, choices: Choice<T>[], choose: (value: T) => void): { element: HTMLElement; buttons: HTMLButtonElement[]; check(value: T): void } {
  const buttons = choices.map((c) => h('button', { type: 'button', role: 'radio', id: c.id, title: c.title }, c.label));
  let checked = 0;
  buttons.forEach((button, i) => {
    button.addEventListener('click', () => choose(choices[i].value));
    button.addEventListener('keydown', (e) => {
      if (!ARROWS.includes(e.key)) return;
      e.preventDefault();
      const step = e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 1;
      const next = (checked + step + choices.length) % choices.length;
      choose(choices[next].value);
      buttons[next].focus();
    });
  });
  return {
    element: h('div', { role: 'radiogroup', class: 'segmented', 'aria-label': label }, ...buttons),
    buttons,
    check(value) {
      checked = Math.max(0, choices.findIndex((c) => c.value === value));
      buttons.forEach((button, i) => {
        button.setAttribute('aria-checked', String(i === checked));
        button.tabIndex = i === checked ? 0 : -1;
      });
    },
  };
}

const READINGS: Choice<Reading>[] = [
  { value: 'update', id: 'reading-update', label: 'What the update writes', title: 'FF1: its top tokens (what is imprinted); FF2: its bottom tokens (what a descent step writes)' },
  { value: 'top', id: 'reading-top', label: 'Top' },
  { value: 'bottom', id: 'reading-bottom', label: 'Bottom' },
];

const LAYOUTS: Choice<GridLayout | undefined>[] = [
  { value: undefined, id: 'layout-auto', label: 'Auto', title: 'Layers as rows while the table is at most about three views wide, tokens as rows past that' },
  { value: 'wide', id: 'layout-wide', label: 'Layers as rows' },
  { value: 'compact', id: 'layout-compact', label: 'Tokens as rows' },
];

export function createToolbar(actions: Actions): Part {
  let current: ShownState | undefined;

  const normalized = h('button', { id: 'toggle-normalized', type: 'button' }, 'Normalized lens');
  normalized.addEventListener('click', () => {
    if (current) actions.reanalyze(!current.show.result.lens.normalized);
  });
  const lensNote = h('span', { id: 'lens-note', class: 'hint', hidden: true });
  const reading = segmented('Bold in each cell', READINGS, actions.setReading);
  const layout = segmented('Layout', LAYOUTS, actions.setLayout);
  const save = h('button', { id: 'save-result', type: 'button', class: 'primary' }, 'Save');
  save.addEventListener('click', () => actions.save());
  const status = h('span', { id: 'status', role: 'status' });

  return {
    element: h(
      'div',
      { role: 'toolbar', class: 'toolbar', 'aria-label': 'Lens options' },
      normalized,
      h('span', { class: 'toolbar-group' }, h('span', { class: 'toolbar-label' }, 'Bold'), reading.element),
      h('span', { class: 'toolbar-group' }, h('span', { class: 'toolbar-label' }, 'Layout'), layout.element),
      save,
      status,
      lensNote,
    ),
    update(state) {
      current = state;
      const { result, capabilities } = state.show;
      const busy = busyText(state);
      const note = normalizedLensNote(result);
      normalized.setAttribute('aria-pressed', String(result.lens.normalized));
      normalized.disabled = !capabilities.reanalyze || busy !== undefined;
      normalized.title = capabilities.reanalyze
        ? `L2-normalize each vector before the lens (the paper’s optional variant); re-runs the analysis.${note ? ` ${note}` : ''}`
        : 'Saved results cannot be re-run here: analyze the selection again to change the lens';
      // Said where the toggle was used: on an RMSNorm model the grids look the same, and that is right.
      lensNote.hidden = !(note && result.lens.normalized);
      lensNote.textContent = note ?? '';
      reading.check(state.reading);
      layout.check(state.layout);
      layout.buttons[0].textContent = state.layout ? 'Auto' : `Auto (${autoLayout(state.show) === 'wide' ? 'layers as rows' : 'tokens as rows'})`;
      save.disabled = !capabilities.save;
      status.textContent = busy ?? state.status?.text ?? '';
      status.classList.toggle('error', !busy && state.status?.error === true);
    },
  };
}
