/**
 * The sweep chart: per layer, the smallest η of the grid that makes the target the argmax, on a
 * log scale (the grid's values as ticks), with a band above the grid for layers where no η did.
 * Inline SVG themed by CSS variables, a legend, and a hidden table as the text alternative, as
 * in chart.ts.
 */
import type { EditSweepResult } from '../engine/api';
import { editTarget, smallestEtaWords } from '../result/editView';
import { formatNumber, formatProb } from '../result/view';
import { h, svg } from './dom';

const W = 520;
const H = 200;
const PAD = { left: 56, right: 16, top: 22, bottom: 34 };
/** Height of the "none" band above the grid's largest η. */
const NONE_BAND = 18;

export function sweepChart(sweep: EditSweepResult): HTMLElement {
  const target = editTarget(sweep);
  const title = `Smallest η that makes “${target}” the argmax, per layer`;
  const layers = sweep.layers.map((l) => l.layer);
  const first = Math.min(...layers);
  const last = Math.max(...layers);
  const [low, high] = [Math.log10(sweep.etas[0]), Math.log10(sweep.etas[sweep.etas.length - 1])];
  const plotTop = PAD.top + NONE_BAND;
  const x = (layer: number): number => PAD.left + (last === first ? 0.5 : (layer - first) / (last - first)) * (W - PAD.left - PAD.right);
  const y = (eta: number): number => H - PAD.bottom - (high === low ? 0.5 : (Math.log10(eta) - low) / (high - low)) * (H - PAD.bottom - plotTop);
  const noneY = PAD.top + NONE_BAND / 2 - 4;

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'sweep-chart', 'aria-label': title });
  root.append(svg('title', {}, title));
  // At most about 8 η labels, so that a fine grid's labels do not overlap.
  const every = Math.ceil(sweep.etas.length / 8);
  for (const eta of sweep.etas.filter((_, i) => i % every === 0)) {
    root.append(
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(eta), y2: y(eta), class: 'grid-line' }),
      svg('text', { x: PAD.left - 6, y: y(eta) + 4, 'text-anchor': 'end', class: 'axis-label' }, formatNumber(eta)),
    );
  }
  root.append(svg('text', { x: PAD.left - 6, y: noneY + 4, 'text-anchor': 'end', class: 'axis-label' }, 'none'));
  for (const layer of layers) {
    root.append(svg('text', { x: x(layer), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'axis-label' }, String(layer)));
  }
  root.append(
    svg('text', { x: (PAD.left + W - PAD.right) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' }, 'layer'),
    svg('text', { x: 12, y: (plotTop + H - PAD.bottom) / 2, transform: `rotate(-90 12 ${(plotTop + H - PAD.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-title' }, 'smallest η'),
  );
  const found = sweep.layers.filter((l) => l.smallestEta !== null);
  const line = found.map((l, i) => `${i ? 'L' : 'M'}${x(l.layer).toFixed(1)},${y(l.smallestEta!).toFixed(1)}`).join(' ');
  const group = svg('g', { class: 'series s-sweep' }, svg('path', { d: line, class: 'series-line' }));
  for (const l of sweep.layers) {
    const words = `layer ${l.layer}: smallest η ${smallestEtaWords(sweep, l)}${l.after ? `, p(${target}) ${formatProb(l.after.targetProb)} there` : ''}`;
    const mark = l.smallestEta === null
      ? svg('text', { x: x(l.layer), y: noneY + 5, 'text-anchor': 'middle', class: 'sweep-none', 'data-layer': l.layer }, '×', svg('title', {}, words))
      : svg('circle', { cx: x(l.layer), cy: y(l.smallestEta), r: 4, class: 'series-dot', 'data-layer': l.layer }, svg('title', {}, words));
    group.append(mark);
  }
  root.append(group);
  const legend = h(
    'ul',
    { class: 'chart-legend', 'aria-label': 'Legend' },
    h('li', { class: 's-sweep' }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), `smallest η making “${target}” the argmax`),
    h('li', { class: 's-none' }, h('span', { class: 'none-mark', 'aria-hidden': 'true' }, '×'), 'no η of the grid did'),
  );
  const table = h(
    'table',
    { class: 'visually-hidden', id: 'sweep-table' },
    h('caption', {}, title),
    h('tr', {}, h('th', { scope: 'col' }, 'layer'), h('th', { scope: 'col' }, 'smallest η'), h('th', { scope: 'col' }, `p(${target}) there`)),
    ...sweep.layers.map((l) =>
      h('tr', { 'data-layer': l.layer }, h('th', { scope: 'row' }, String(l.layer)), h('td', {}, smallestEtaWords(sweep, l)), h('td', {}, l.after ? formatProb(l.after.targetProb) : '—')),
    ),
  );
  return h('figure', { class: 'chart' }, root, legend, table);
}
