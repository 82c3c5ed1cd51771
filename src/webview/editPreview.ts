/**
 * The edit preview: from the shown result's prompt and target, one in-memory edit (the paper's
 * forward-pass shift at FF2, or one SGD step on the MLP weights) at chosen layers and η, read out
 * before and after on the prompt and on neighbour prompts; Revert shows the original read-out
 * again; and the sweep over layers × η, drawn as a chart. The form stays put while results come
 * and go; the read-outs are redrawn when the edits or the revert change.
 */
import type { EditMethod, EditResult, NextTokenReadout } from '../engine/api';
import { EDIT_METHOD_LABELS, previewTitle, rankWords, readoutChange, revertNote, sweepTitle, editTarget } from '../result/editView';
import { EDIT_LIMITS } from '../result/savedEdits';
import { formatNumber, formatProb } from '../result/view';
import type { EditFormState } from '../protocol/messages';
import { addNeighbour, DEFAULT_EDIT_FORM, DEFAULT_ETA_GRID, readEditChoice, readSweepChoice, removeNeighbour, type Read } from './editForm';
import type { EditActions, EditView } from './editState';
import { h, tokenChip } from './dom';
import { busyText, type Part, type ShownState } from './state';
import { sweepChart } from './sweepChart';
import { segmented, type Choice } from './toolbar';

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'edit-field' }, h('span', { class: 'toolbar-label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : undefined);
}

function readoutRow(label: string, readout: NextTokenReadout, targetId: number, prompt: number, before?: NextTokenReadout): HTMLElement {
  const change = before && readoutChange(before, readout);
  const tokens = readout.top.map((t) =>
    h(
      'li',
      { class: [t.id === targetId ? 'is-target' : '', change?.entered.has(t.id) ? 'entered' : ''].join(' ').trim() || undefined },
      tokenChip(t.text),
      ` ${formatProb(t.prob)}`,
    ),
  );
  return h(
    'tr',
    { 'data-prompt': prompt, 'data-when': label, class: change?.becameArgmax ? 'became-argmax' : undefined },
    h('th', { scope: 'row' }, label),
    h('td', { class: 'target-prob' }, formatProb(readout.targetProb)),
    h('td', { class: `target-rank${change && change.rank !== 'same' ? ` ${change.rank}` : ''}` }, rankWords(readout)),
    h('td', {}, h('ol', { class: 'edit-top' }, ...tokens)),
  );
}

function readoutTable(preview: EditResult, reverted: boolean): HTMLElement {
  const targetId = preview.targetIds[0];
  const body = preview.prompts.flatMap((p, i) => [
    h('tr', { class: 'edit-prompt' }, h('th', { colspan: 4, scope: 'rowgroup' }, i === 0 ? 'Prompt: ' : 'Neighbour: ', h('span', { class: 'user-text' }, p.prompt))),
    ...(reverted
      ? [readoutRow('original', p.before, targetId, i)]
      : [readoutRow('before', p.before, targetId, i), readoutRow('after', p.after, targetId, i, p.before)]),
  ]);
  const k = preview.prompts[0]?.before.top.length ?? 0;
  return h(
    'table',
    { class: 'edit-readouts', id: 'edit-readouts' },
    h('caption', { class: 'visually-hidden' }, `Next-token read-outs ${reverted ? 'without the edit' : 'before and after the edit'}`),
    h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, `p(“${editTarget(preview)}”)`), h('th', { scope: 'col' }, 'target'), h('th', { scope: 'col' }, `next-token top-${k}`)),
    ...body,
  );
}

const READOUT_LEGEND = 'Rank: how many tokens are more probable than the target (none: it is the argmax; ▲ where the edit made it so). Framed: the target’s token; bold: a token the edit brought into the top-k.';

function previewNote(preview: EditResult, reverted: boolean): string {
  if (reverted) return `Reverted: the original read-out is shown again. ${revertNote(preview)}`;
  if (preview.skipped) return `Skipped: ${preview.skipped}`;
  return `Loss on the prompt ${formatNumber(preview.loss.before)} → ${formatNumber(preview.loss.after)}. ${revertNote(preview)}`;
}

const METHODS: Choice<EditMethod>[] = (Object.keys(EDIT_METHOD_LABELS) as EditMethod[]).map((m) => ({ value: m, id: `edit-method-${m}`, label: EDIT_METHOD_LABELS[m] }));

export function createEditPreview(actions: EditActions): Part {
  let current: ShownState | undefined;
  /** The form's choices as the page state holds them (a reload restores them); the layers box is the part's own. */
  let form = DEFAULT_EDIT_FORM;
  const setForm = (changes: Partial<EditFormState>): void => actions.setForm({ ...form, ...changes });
  let drawn: { view: EditView; reverted: boolean } | undefined;
  let layerCount = 0;

  const problem = h('p', { id: 'edit-problem', class: 'error', role: 'alert', hidden: true });
  const say = <T>(read: Read<T>, use: (value: T) => void): void => {
    problem.hidden = !('problem' in read);
    problem.textContent = 'problem' in read ? read.problem : '';
    if ('value' in read) use(read.value);
  };

  const methods = segmented('Edit method', METHODS, (method) => setForm({ method }));
  const layers = h('input', { id: 'edit-layers', type: 'text', size: 8, spellcheck: 'false' });
  const eta = h('input', { id: 'edit-eta', type: 'text', size: 8, spellcheck: 'false' });
  const neighbourList = h('ul', { id: 'edit-neighbours', class: 'edit-neighbours' });
  const neighbourInput = h('input', { id: 'edit-neighbour-input', type: 'text', placeholder: 'A paraphrase (should move) or an unrelated prompt (should not)', size: 48 });
  const addButton = h('button', { id: 'edit-neighbour-add', type: 'button' }, 'Add');
  const run = h('button', { id: 'edit-run', type: 'button', class: 'primary' }, 'Run edit');
  const revert = h('button', { id: 'edit-revert', type: 'button', title: 'Show the original read-out again: the model was never changed' }, 'Revert');
  const cancel = h('button', { id: 'edit-cancel', type: 'button', hidden: true }, 'Cancel');
  const grid = h('input', { id: 'sweep-etas', type: 'text', size: 40, value: DEFAULT_ETA_GRID.join(', '), spellcheck: 'false' });
  const sweep = h('button', { id: 'sweep-run', type: 'button' }, 'Run sweep');
  const capability = h('p', { class: 'hint', id: 'edit-capability', hidden: true });
  const previewOut = h('div', { id: 'edit-preview-out', 'aria-live': 'polite' });
  const sweepOut = h('div', { id: 'sweep-out', 'aria-live': 'polite' });

  const drawForm = (next: EditFormState): void => {
    form = next;
    methods.check(next.method);
    if (eta.value !== next.eta) eta.value = next.eta;
    neighbourList.replaceChildren(
      ...next.neighbours.map((prompt, i) => {
        const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove neighbour ${prompt}` }, 'Remove');
        remove.addEventListener('click', () => setForm({ neighbours: removeNeighbour(next.neighbours, i) }));
        return h('li', {}, h('span', { class: 'user-text' }, prompt), remove);
      }),
    );
  };
  const add = (): void =>
    say(addNeighbour(form.neighbours, neighbourInput.value), (neighbours) => {
      neighbourInput.value = '';
      setForm({ neighbours });
    });
  // Kept once typed, not on every key: each change persists the page state, result included.
  eta.addEventListener('change', () => setForm({ eta: eta.value }));
  addButton.addEventListener('click', add);
  neighbourInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') add();
  });
  run.addEventListener('click', () => say(readEditChoice({ ...form, layers: layers.value, eta: eta.value }, layerCount), actions.runEdit));
  sweep.addEventListener('click', () => say(readSweepChoice(form.method, grid.value, EDIT_LIMITS.etas), actions.runSweep));
  revert.addEventListener('click', () => actions.revert());
  cancel.addEventListener('click', () => actions.cancel());

  const drawRuns = (view: EditView): void => {
    const preview = view.edits.previews.at(-1);
    previewOut.replaceChildren(
      ...(preview
        ? [
            h('h3', {}, previewTitle(preview)),
            h('p', { id: 'edit-note', class: view.reverted ? 'edit-note reverted' : 'edit-note' }, previewNote(preview, view.reverted)),
            readoutTable(preview, view.reverted),
            ...(view.reverted ? [] : [h('p', { class: 'hint' }, READOUT_LEGEND)]),
          ]
        : []),
    );
    const last = view.edits.sweeps.at(-1);
    sweepOut.replaceChildren(
      ...(last
        ? [h('h3', {}, sweepTitle(last)), last.skipped ? h('p', { id: 'sweep-note', class: 'edit-note' }, `Skipped: ${last.skipped}`) : sweepChart(last)]
        : []),
    );
  };

  const element = h(
    'details',
    { id: 'edit-panel', class: 'edit-section' },
    h('summary', {}, h('h2', {}, 'Edit preview', h('span', { class: 'subtitle' }, ' in memory only: the model’s weights are never changed'))),
    capability,
    h('div', { class: 'edit-form' }, field('Method', methods.element), field('Layers', layers), field('η', eta)),
    h('div', { class: 'edit-form' }, field('Neighbours', neighbourInput), addButton),
    neighbourList,
    h('div', { class: 'edit-form' }, run, revert, cancel),
    problem,
    previewOut,
    h('h3', { class: 'sweep-heading' }, 'Sweep: the smallest η per layer'),
    h('div', { class: 'edit-form' }, field('η grid', grid, 'one layer at a time, each value of the grid in turn'), sweep),
    sweepOut,
  );
  drawForm(form);

  return {
    element,
    update(state) {
      if (current?.show !== state.show) {
        layerCount = state.show.result.model.layers;
        layers.value = String(layerCount - 1);
        // A result saved with edits opens on them.
        if (state.show.result.edits) element.open = true;
      }
      current = state;
      const shownForm = state.editForm ?? DEFAULT_EDIT_FORM;
      if (form !== shownForm) drawForm(shownForm);
      const view = state.edit ?? { edits: { previews: [], sweeps: [] }, reverted: false };
      if (drawn?.view.edits !== view.edits || drawn.reverted !== view.reverted) drawRuns(view);
      drawn = { view, reverted: view.reverted };
      const text = state.show.result.lossMode === 'text';
      const able = state.show.capabilities.edit === true && !text;
      capability.hidden = able;
      capability.textContent = text
        ? 'Edits need a prompt and a target: this result analysed training text.'
        : 'Saved edits are shown as they ran. To run new ones, open this result where its model is loaded (analyse the selection again).';
      const busy = busyText(state) !== undefined;
      for (const button of [run, sweep]) button.disabled = !able || busy;
      revert.disabled = view.reverted || view.edits.previews.length === 0 || view.running !== undefined;
      cancel.hidden = view.running === undefined;
    },
  };
}
