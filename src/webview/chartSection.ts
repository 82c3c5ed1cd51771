/**
 * The rank chart section: the rank token's rank across layers at the last position that carries
 * loss and, when a column is selected, at that column too, each grid's rank counted as the grid
 * counts it (result/view's RANK_COUNTING), so a point reads as its cell's hover does. Redrawn
 * when the result or the selection changes.
 */
import type { ShowMessage } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { lastLossPosition, RANK_COUNTING, rankSeries, tokenText, visibleToken } from '../result/view';
import { rankChart, type Series } from './chart';
import { h } from './dom';
import type { Part } from './state';

function seriesFor(result: BackwardLensResult, selected: number | undefined): Series[] {
  const curves = (position: number, extraClass: string): Series[] => {
    const token = visibleToken(result.tokens[position]?.text ?? '');
    return (['ff2', 'ff1'] as const).map((grid) => ({
      label: `${grid === 'ff2' ? 'FF2 δ' : 'FF1 x'} at ${position} “${token}” (${RANK_COUNTING[grid].label})`,
      points: rankSeries(result, grid, position),
      className: `s-${grid}${extraClass}`,
    }));
  };
  const last = lastLossPosition(result);
  const series = curves(last, '');
  if (selected !== undefined && selected !== last) series.push(...curves(selected, ' s-selected'));
  return series;
}

export function createChartSection(): Part {
  const element = h('section', { id: 'rank-chart', class: 'chart-section', 'aria-label': 'Target rank across layers' });
  let drawn: { show: ShowMessage; selected?: number } | undefined;
  return {
    element,
    update({ show, selectedPosition }) {
      if (drawn && drawn.show === show && drawn.selected === selectedPosition) return;
      drawn = { show, selected: selectedPosition };
      const { result } = show;
      const last = lastLossPosition(result);
      const target = visibleToken(tokenText(result, result.rankIds[last]));
      const layers = result.layers.map((l) => l.layer).sort((a, b) => a - b);
      element.replaceChildren(
        h('h2', {}, `Rank of “${target}” across layers`, h('span', { class: 'subtitle' }, ` at position ${last}, the last that carries loss`)),
        h(
          'p',
          { class: 'hint' },
          `Click a column to add its curves. FF1: ${RANK_COUNTING.ff1.label}, ${RANK_COUNTING.ff1.zero} of LL(x). FF2: ${RANK_COUNTING.ff2.label}, ${RANK_COUNTING.ff2.zero}.`,
        ),
        rankChart(seriesFor(result, selectedPosition), layers, result.model.vocabSize, `Rank of ${target} across layers`),
      );
    },
  };
}
