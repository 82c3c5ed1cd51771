/**
 * The neuron view of a result that has one (result.neurons), a layer at a time: for FF1 and FF2
 * the neurons with the largest gradient, each key (Llama: gate and up) and value through the
 * lens before and after one SGD step, and the positions whose terms weigh most in its gradient.
 * Tokens the step brought into a list are bold.
 */
import { contributingPositions, weightShortName } from '../result/experiments';
import type { LayerNeurons, Neuron, NeuronVector, NeuronView, ScoredToken } from '../result/schema';
import { formatNumber, tokenText } from '../result/view';
import { h, tokenChip } from './dom';
import type { Part, ShownState } from './state';

const LISTS = [
  { list: 'ff1', title: 'FF1 — the largest key gradients', of: (l: LayerNeurons) => l.ff1 },
  { list: 'ff2', title: 'FF2 — the largest value gradients', of: (l: LayerNeurons) => l.ff2 },
] as const;

function tokenList(tokens: ScoredToken[], before?: ScoredToken[]): HTMLElement {
  const was = new Set(before?.map((t) => t.id));
  return h(
    'span',
    { class: 'token-list' },
    ...tokens.map((t) => {
      const entered = before !== undefined && !was.has(t.id);
      return tokenChip(t.text, { class: entered ? 'token entered' : 'token', title: `${entered ? 'new after the step · ' : ''}id ${t.id}` });
    }),
  );
}

function positionList(state: ShownState, v: NeuronVector): HTMLElement {
  const tokens = state.show.result.tokens;
  return h(
    'span',
    { class: 'token-list' },
    ...contributingPositions(v).map((p) =>
      h('span', { class: 'position', 'data-pos': p.position }, `${p.position} `, tokenChip(tokens[p.position]?.text ?? ''), h('span', { class: 'prob' }, `${p.weight > 0 ? '+' : ''}${formatNumber(p.weight, 3)}`)),
    ),
  );
}

function vectorTable(state: ShownState, kind: string, v: NeuronVector, rankToken: string): HTMLElement {
  const row = (label: string, top: HTMLElement, bottom: HTMLElement) => h('tr', { 'data-when': label }, h('th', { scope: 'row' }, label), h('td', { class: 'vector-top' }, top), h('td', { class: 'vector-bottom' }, bottom));
  return h(
    'table',
    { class: 'neuron-vector', 'data-weight': weightShortName(v.weight), 'data-kind': kind },
    h(
      'caption',
      {},
      h('span', { class: 'vector-name' }, `${weightShortName(v.weight)} ${kind}`),
      ` · ‖∇‖ ${formatNumber(v.gradNorm)} · tokens above `,
      tokenChip(rankToken),
      ` ${v.before.targetRank} → ${v.after.targetRank}`,
    ),
    h('thead', {}, h('tr', {}, h('td', {}), h('th', { scope: 'col' }, `top-${v.before.top.length}`), h('th', { scope: 'col' }, `bottom-${v.before.bottom.length}`))),
    h(
      'tbody',
      {},
      row('before', tokenList(v.before.top), tokenList(v.before.bottom)),
      row('after', tokenList(v.after.top, v.before.top), tokenList(v.after.bottom, v.before.bottom)),
      h('tr', { 'data-when': 'positions' }, h('th', { scope: 'row' }, 'positions'), h('td', { colspan: 2, class: 'vector-positions' }, positionList(state, v))),
    ),
  );
}

function neuronCard(state: ShownState, list: string, neuron: Neuron, rankToken: string): HTMLElement {
  const vectors: [string, NeuronVector][] = [...neuron.keys.map((k): [string, NeuronVector] => ['key', k]), ['value', neuron.value]];
  return h(
    'article',
    { class: 'neuron', 'data-list': list, 'data-index': neuron.index },
    h('h4', {}, `Neuron ${neuron.index}`),
    ...vectors.map(([kind, v]) => vectorTable(state, kind, v, rankToken)),
  );
}

function layerView(state: ShownState, layer: LayerNeurons): HTMLElement {
  const rankToken = tokenText(state.show.result, state.show.result.targetIds[0]);
  return h(
    'div',
    { class: 'neuron-lists', 'data-layer': layer.layer },
    ...LISTS.map(({ list, title, of }) => h('section', { class: 'neuron-list', 'data-list': list }, h('h3', {}, title), ...of(layer).map((n) => neuronCard(state, list, n, rankToken)))),
  );
}

function intro(view: NeuronView): string {
  return (
    `Per layer, the ${view.count} neurons with the largest gradient in FF1 and in FF2. Each key (its FF1 weight vector; Llama: gate and up) and value (its FF2 weight vector) ` +
    `through the lens before and after one SGD step W ← W − η∇W of the layer’s MLP, η = ${view.eta}; bold: tokens the step brought in. ` +
    'Positions: the largest terms of the neuron’s gradient, δ^FF1_i[j]·‖x_i‖ for a key, h_i[j]·‖δ_i‖ for a value.'
  );
}

export function createNeuronView(): Part {
  const layerSelect = h('select', { id: 'neuron-layer' });
  const body = h('div', {});
  const subtitle = h('span', { class: 'subtitle' });
  const hint = h('p', { class: 'hint' });
  const element = h(
    'section',
    { id: 'neuron-view', class: 'experiment', hidden: true, 'aria-label': 'Neurons' },
    h('h2', {}, 'Neurons ', subtitle),
    hint,
    h('p', { class: 'neuron-layer-choice' }, h('label', { for: 'neuron-layer' }, 'Layer '), layerSelect),
    body,
  );
  let drawn: ShownState['show'] | undefined;
  let state: ShownState | undefined;
  const draw = () => {
    const layer = state?.show.result.neurons?.layers.find((l) => String(l.layer) === layerSelect.value);
    if (state && layer) body.replaceChildren(layerView(state, layer));
  };
  layerSelect.addEventListener('change', draw);
  return {
    element,
    update(next) {
      state = next;
      const view = next.show.result.neurons;
      element.hidden = !view;
      if (!view || next.show === drawn) return;
      drawn = next.show;
      const chosen = layerSelect.value;
      const layers = [...view.layers].reverse();
      layerSelect.replaceChildren(...layers.map((l, i) => h('option', { value: l.layer, selected: chosen ? String(l.layer) === chosen : i === 0 }, `${l.layer}${i === 0 ? ' (last)' : ''}`)));
      subtitle.textContent = `${view.count} per layer in FF1 and FF2 · η = ${view.eta}`;
      hint.textContent = intro(view);
      draw();
    },
  };
}
