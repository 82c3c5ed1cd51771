/**
 * The Backward Lens panel UI, shared by the editor-side panels, the panel-area view and the
 * `*.blens.json` custom editor. It renders whatever result the host shows it and persists
 * that result with `setState`, so that the host can restore a reloaded panel; the page itself
 * draws a result only once the host has sent it, so a restored result is validated first.
 *
 * One way to update the page: every change goes through the store, and `update` hands each
 * new state to every part, which rebuilds what a new result changes and patches the rest.
 */
import { parseHostMessage, type HostToWebview, type PersistedState, type WebviewToHost } from '../protocol/messages';
import { createChartSection } from './chartSection';
import { createCompareView } from './compareView';
import { createDetails } from './details';
import { createEditPreview } from './editPreview';
import { revertedView, runningView, type EditActions, type EditRun } from './editState';
import { createExperimentBar } from './experimentBar';
import { h } from './dom';
import { createGrid } from './grid';
import { createHeader } from './header';
import { createHistoryBar } from './historyBar';
import { Host, type Asked } from './host';
import { createHowToRead } from './howToRead';
import { createNeuronView } from './neuronView';
import { busyText, changesFor, hasResult, Store, type Actions, type PageState } from './state';
import { createToolbar } from './toolbar';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

const store = new Store(vscode, update);
const host = new Host((message) => vscode.postMessage(message), apply);

function apply(message: HostToWebview): void {
  store.set({ ...changesFor(store.state, message), waiting: host.waiting });
}

/** Posts a request, says `progress` on the status line until the host answers, then shows the answer. */
function ask(asked: Asked, progress: string): void {
  const answer = host.request(asked);
  store.set({ status: { text: progress }, waiting: host.waiting });
  answer.then(apply, (error: Error) => apply({ type: 'error', message: error.message }));
}

const actions: Actions = {
  setReading: (reading) => store.set({ reading }),
  toggleColumn: (position) => store.set({ selectedPosition: store.state.selectedPosition === position ? undefined : position }),
  reveal: (position) => host.post({ type: 'reveal', position }),
  save: () => ask({ type: 'save' }, 'Saving…'),
  reanalyze: (normalized) =>
    ask({ type: 'reanalyze', normalized }, normalized ? 'Re-running with the normalized lens…' : "Re-running with the paper's lens…"),
  setLayout: (layout) => store.set({ layout }),
  openResult: (historyId, newPanel) => host.post({ type: 'open', historyId, newPanel }),
  runExperiments: (experiments) =>
    ask({ type: 'experiment', ...experiments }, experiments.check ? 'Re-running with the gradient check…' : `Re-running with ${experiments.neurons} neurons per layer…`),
  compareWith: (historyId) => ask({ type: 'compare', historyId }, historyId === undefined ? 'Choosing a saved result to compare with…' : 'Comparing…'),
  closeCompare: () => store.set({ reference: undefined }),
};

/** An edit or a sweep: the page marks it running (for Cancel) until the host answers. */
function askEdit(asked: Asked & { type: EditRun }, progress: string): void {
  const { show, edit } = store.state;
  if (show) store.set({ edit: runningView(edit, asked.type, show) });
  ask(asked, progress);
}

const editActions: EditActions = {
  runEdit: (choice) => askEdit({ type: 'edit', choice }, 'Running the edit…'),
  runSweep: (choice) => askEdit({ type: 'sweep', choice }, 'Sweeping layers × η…'),
  revert: () => store.state.edit && store.set({ edit: revertedView(store.state.edit) }),
  cancel: () => host.post({ type: 'cancel' }),
  setForm: (editForm) => store.set({ editForm }),
};

const details = createDetails();
const header = createHeader();
const historyBar = createHistoryBar(actions);
const toolbar = createToolbar(actions);
const experimentBar = createExperimentBar(actions);
const compareView = createCompareView(actions);
const neuronView = createNeuronView();
const howToRead = createHowToRead();
const grids = [createGrid('ff1', actions, details), createGrid('ff2', actions, details)];
const chart = createChartSection();
const editPreview = createEditPreview(editActions);
const parts = [header, historyBar, toolbar, experimentBar, howToRead, ...grids, chart, compareView, neuronView, editPreview, details];
const panel = [
  header.element,
  historyBar.element,
  toolbar.element,
  experimentBar.element,
  howToRead.element,
  h('section', { class: 'grids', 'aria-label': 'Vocabulary projections' }, ...grids.map((g) => g.element)),
  chart.element,
  compareView.element,
  neuronView.element,
  editPreview.element,
  details.element,
];
const problem = h('p', { class: 'empty error', role: 'alert' });
const empty = h('div', {}, problem, h('p', { class: 'empty' }, 'Select text in an editor and run ', h('strong', {}, 'Backward Lens: Analyze Selection'), '.'));

function update(state: PageState): void {
  // The parts go in once, with the first result; after that they only update themselves.
  const page = hasResult(state) ? panel : [empty];
  if (app.firstElementChild !== page[0]) app.replaceChildren(...page);
  if (!hasResult(state)) {
    // A restored result the host refused, or any other error before a result: said, not hidden.
    problem.textContent = state.status?.error ? state.status.text : '';
    problem.hidden = !state.status?.error;
    return;
  }
  for (const part of parts) part.update(state);
  app.setAttribute('aria-busy', String(busyText(state) !== undefined));
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseHostMessage(event.data);
  if (message) host.receive(message);
});
update(store.state);
host.post({ type: 'ready', ...(store.persistedReference ? { reference: store.persistedReference } : {}) });
