/** "How to read this": the shared explanation (result/view's HOW_TO_READ), folded by default, above the grids. */
import { HOW_TO_READ } from '../result/view';
import { h } from './dom';
import type { Part } from './state';

export function createHowToRead(): Part {
  return {
    element: h('details', { class: 'how-to-read' }, h('summary', {}, 'How to read this'), ...HOW_TO_READ.map((text) => h('p', {}, text))),
    update() {},
  };
}
