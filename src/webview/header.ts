/**
 * The panel's header: the result's facts (model, provider, tokens, target, loss, gradient rank…)
 * as `headerFacts` lists them. A fact's explanation (why the gradient rank is what it is, why
 * CUDA did not run, every layer's gradient check) is its value's tooltip; a notable fact, or a
 * verdict (pass or fail), is marked by a border and its text keeps the theme's foreground, which
 * reads in every theme.
 */
import type { ShowMessage } from '../protocol/messages';
import { formatProb, headerFacts, type FactPart } from '../result/view';
import { h, tokenChip } from './dom';
import type { Part } from './state';

function renderPart(part: FactPart): Node | string {
  if (typeof part === 'string') return part;
  if ('userText' in part) return `“${part.userText}”`;
  if ('prob' in part) return h('span', { class: 'scored' }, tokenChip(part.token), ' ', h('span', { class: 'prob' }, formatProb(part.prob)));
  return tokenChip(part.token, { title: part.title });
}

function factRows(show: ShowMessage): HTMLElement[] {
  return headerFacts(show.result, false).flatMap((fact) => {
    const tokens = fact.parts.filter((p) => typeof p !== 'string' && !('userText' in p));
    const text = fact.parts.filter((p) => !tokens.includes(p)).map(renderPart);
    const value = [...text, ...(tokens.length ? [h('span', { class: 'token-list' }, ...tokens.map(renderPart))] : [])];
    const explained = fact.explanation !== undefined || fact.key !== undefined;
    const shown = explained
      ? [h('span', { id: fact.key, class: [fact.notable ? 'note' : '', fact.explanation ? 'explained' : ''].join(' ').trim() || undefined, title: fact.explanation, 'data-verdict': fact.verdict }, ...value)]
      : value;
    return [h('dt', {}, fact.label), h('dd', {}, ...shown)];
  });
}

export function createHeader(): Part {
  const element = h('header', { id: 'result-header' });
  let drawn: ShowMessage | undefined;
  return {
    element,
    update({ show }) {
      if (show === drawn) return;
      drawn = show;
      element.replaceChildren(h('h1', {}, 'Backward Lens'), h('dl', {}, ...factRows(show)));
    },
  };
}
