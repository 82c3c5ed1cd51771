/**
 * The target-rank chart: one line per grid and position, layers on x, rank on a log scale on
 * y with rank 0 at the top (a rank that climbs toward the top means the lens "sees" the
 * target). Inline SVG keeps the bundle small and themable through CSS variables. Linear in
 * layers × series: no spreads, no per-layer searches.
 */
import { svg, h } from './dom';
import type { RankPoint } from '../result/view';

export interface Series {
  label: string;
  points: RankPoint[];
  /** CSS class selecting colour and dash pattern. */
  className: string;
}

const W = 520;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 34 };

/** `layers` in ascending order. */
export function rankChart(series: Series[], layers: number[], vocabSize: number, title: string): HTMLElement {
  const minLayer = layers[0];
  const maxLayer = layers[layers.length - 1];
  const maxRank = Math.max(1, vocabSize - 1);
  const x = (layer: number): number =>
    PAD.left + (maxLayer === minLayer ? 0.5 : (layer - minLayer) / (maxLayer - minLayer)) * (W - PAD.left - PAD.right);
  const y = (rank: number): number => PAD.top + (Math.log10(1 + rank) / Math.log10(1 + maxRank)) * (H - PAD.top - PAD.bottom);

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'rank-chart', 'aria-label': title });
  root.append(svg('title', {}, title));
  const ticks = [0, 1, 10, 100, 1000, 10000, 100000].filter((t) => t <= maxRank);
  for (const t of ticks) {
    root.append(
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), class: 'grid-line' }),
      svg('text', { x: PAD.left - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'axis-label' }, String(t)),
    );
  }
  // At most about 16 layer labels, so that deep models' labels do not overlap.
  const every = Math.ceil(layers.length / 16);
  for (const layer of layers.filter((_, i) => i % every === 0)) {
    root.append(svg('text', { x: x(layer), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'axis-label' }, String(layer)));
  }
  root.append(
    svg('text', { x: (PAD.left + W - PAD.right) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' }, 'layer'),
    svg('text', { x: 12, y: PAD.top + (H - PAD.top - PAD.bottom) / 2, transform: `rotate(-90 12 ${PAD.top + (H - PAD.top - PAD.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-title' }, 'rank'),
  );
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.layer).toFixed(1)},${y(p.rank).toFixed(1)}`).join(' ');
    const group = svg('g', { class: `series ${s.className}` });
    group.append(svg('path', { d, class: 'series-line' }));
    for (const p of s.points) {
      group.append(svg('circle', { cx: x(p.layer), cy: y(p.rank), r: 3, class: 'series-dot' }, svg('title', {}, `${s.label}, layer ${p.layer}: rank ${p.rank}`)));
    }
    root.append(group);
  }
  const legend = h(
    'ul',
    { class: 'chart-legend', 'aria-label': 'Legend' },
    ...series.map((s) => h('li', { class: s.className }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), s.label)),
  );
  const table = h(
    'table',
    { class: 'visually-hidden' },
    h('caption', {}, title),
    h('tr', {}, h('th', { scope: 'col' }, 'series'), ...layers.map((l) => h('th', { scope: 'col' }, `layer ${l}`))),
    ...series.map((s) => {
      const byLayer = new Map(s.points.map((p) => [p.layer, p.rank]));
      return h('tr', { class: s.className }, h('th', { scope: 'row' }, s.label), ...layers.map((l) => h('td', { 'data-layer': l }, String(byLayer.get(l) ?? '—'))));
    }),
  );
  return h('figure', { class: 'chart' }, root, legend, table);
}
