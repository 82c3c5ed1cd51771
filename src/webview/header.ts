/** The panel's header: the result's facts (model, provider, tokens, target, loss…) as `headerFacts` lists them. */
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
    const shown = fact.label === 'Correctness' ? [h('span', { id: 'correctness', class: fact.notable ? 'note' : undefined }, ...value)] : value;
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
