/**
 * The toolbar: the normalized-lens toggle, the top/bottom reading (a radio group), Save, and the
 * status line. Its buttons stay put while results come and go, so only their states are patched.
 */
import type { Reading } from '../protocol/messages';
import { h } from './dom';
import { busyText, type Actions, type Part, type ShownState } from './state';

const READINGS: Reading[] = ['top', 'bottom'];
const ARROWS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'];

export function createToolbar(actions: Actions): Part {
  let current: ShownState | undefined;

  const normalized = h('button', { id: 'toggle-normalized', type: 'button' }, 'Normalized lens');
  normalized.addEventListener('click', () => {
    if (current) actions.reanalyze(!current.show.result.lens.normalized);
  });

  const readingButtons = new Map<Reading, HTMLButtonElement>();
  const reading = h('div', { role: 'radiogroup', class: 'segmented', 'aria-label': 'Emphasize' });
  for (const value of READINGS) {
    const button = h('button', { type: 'button', role: 'radio', id: `reading-${value}` }, value === 'top' ? 'Top tokens' : 'Bottom tokens');
    button.addEventListener('click', () => actions.setReading(value));
    button.addEventListener('keydown', (e) => {
      if (!ARROWS.includes(e.key) || !current) return;
      e.preventDefault();
      const other = current.reading === 'top' ? 'bottom' : 'top';
      actions.setReading(other);
      readingButtons.get(other)?.focus();
    });
    readingButtons.set(value, button);
    reading.append(button);
  }

  const save = h('button', { id: 'save-result', type: 'button', class: 'primary' }, 'Save');
  save.addEventListener('click', () => actions.save());

  const status = h('span', { id: 'status', role: 'status' });

  return {
    element: h(
      'div',
      { role: 'toolbar', class: 'toolbar', 'aria-label': 'Lens options' },
      normalized,
      h('span', { class: 'toolbar-label', id: 'reading-label' }, 'Emphasize'),
      reading,
      save,
      status,
    ),
    update(state) {
      current = state;
      const { result, capabilities } = state.show;
      const busy = busyText(state);
      normalized.setAttribute('aria-pressed', String(result.lens.normalized));
      normalized.disabled = !capabilities.reanalyze || busy !== undefined;
      normalized.title = capabilities.reanalyze
        ? 'L2-normalize each vector before the lens (the paper’s optional variant); re-runs the analysis'
        : 'Saved results cannot be re-run here: analyze the selection again to change the lens';
      for (const [value, button] of readingButtons) {
        button.setAttribute('aria-checked', String(state.reading === value));
        button.tabIndex = state.reading === value ? 0 : -1;
      }
      save.disabled = !capabilities.save;
      status.textContent = busy ?? state.status?.text ?? '';
      status.classList.toggle('error', !busy && state.status?.error === true);
    },
  };
}
