/**
 * The paper's experiments, on demand: the neuron view (N neurons per layer, re-running the
 * analysis with it), the gradient check, and a result to compare the shown one with (one of
 * this session's, or a saved file). A saved result cannot be re-run here, but it can be compared.
 */
import { DEFAULT_NEURON_COUNT, DEFAULT_NEURON_ETA } from '../result/experiments';
import { h } from './dom';
import { busyText, type Actions, type Part, type ShownState } from './state';

/** More neurons than this would make a layer's lists pages long. */
const MAX_NEURONS = 64;
const FILE_CHOICE = 'file';
const NO_RERUN = 'Saved results cannot be re-run here: analyze the selection again to add it';

/** N from the box, or undefined when it is not a whole number in range. */
function neuronCount(input: HTMLInputElement): number | undefined {
  const n = Number(input.value);
  return Number.isInteger(n) && n >= 1 && n <= MAX_NEURONS ? n : undefined;
}

function compareChoices(state: ShownState): HTMLOptionElement[] {
  const others = state.show.capabilities.history ? state.history.filter((e) => e.id !== state.show.historyId) : [];
  return [
    h('option', { value: '', selected: true }, 'Compare with…'),
    ...others.map((e) => h('option', { value: e.id }, e.label)),
    h('option', { value: FILE_CHOICE }, 'A saved result file…'),
  ];
}

export function createExperimentBar(actions: Actions): Part {
  let current: ShownState | undefined;
  const count = h('input', { id: 'neuron-count', type: 'number', min: 1, max: MAX_NEURONS, step: 1, value: DEFAULT_NEURON_COUNT, 'aria-label': 'Neurons per layer and list' });
  const neurons = h('button', { id: 'run-neurons', type: 'button' }, 'Neurons');
  const eta = h('span', { id: 'neuron-eta', class: 'hint' });
  const check = h('button', { id: 'run-check', type: 'button' }, 'Check gradients');
  const compare = h('select', { id: 'compare-select', 'aria-label': 'Compare this result with another' });
  const refresh = () => {
    if (current) update(current);
  };
  count.addEventListener('input', refresh);
  neurons.addEventListener('click', () => {
    const n = neuronCount(count);
    if (n !== undefined) actions.runExperiments({ neurons: n });
  });
  check.addEventListener('click', () => actions.runExperiments({ check: true }));
  compare.addEventListener('change', () => {
    const choice = compare.value;
    compare.value = '';
    if (choice) actions.compareWith(choice === FILE_CHOICE ? undefined : Number(choice));
  });

  function update(state: ShownState): void {
    current = state;
    const { result, capabilities } = state.show;
    const idle = busyText(state) === undefined;
    const n = neuronCount(count);
    const shownCount = result.neurons?.count;
    neurons.setAttribute('aria-pressed', String(shownCount !== undefined));
    neurons.disabled = !capabilities.reanalyze || !idle || n === undefined || n === shownCount;
    neurons.title = !capabilities.reanalyze
      ? NO_RERUN
      : n === undefined
        ? `N must be a whole number from 1 to ${MAX_NEURONS}`
        : `Re-run the analysis with the ${n} neurons per layer that have the largest FF1 and FF2 gradients, their keys and values before and after one SGD step`;
    eta.textContent = `η = ${result.neurons?.eta ?? DEFAULT_NEURON_ETA}${result.neurons ? '' : ', the engine’s default'}`;
    check.setAttribute('aria-pressed', String(result.check !== undefined));
    check.disabled = !capabilities.reanalyze || !idle || result.check !== undefined;
    check.title = result.check
      ? 'This result has its gradient check: see the header'
      : capabilities.reanalyze
        ? 'Re-run the analysis with the check: ⟨∇W, E⟩ from the factors against finite differences, per layer'
        : NO_RERUN;
    compare.disabled = !idle;
    compare.replaceChildren(...compareChoices(state));
  }

  return {
    element: h(
      'div',
      { role: 'toolbar', class: 'toolbar experiment-bar', 'aria-label': 'Experiments' },
      h('span', { class: 'toolbar-group' }, neurons, h('label', { class: 'toolbar-label', for: 'neuron-count' }, 'N'), count, eta),
      check,
      compare,
    ),
    update,
  };
}
