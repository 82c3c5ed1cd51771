/**
 * The rank chart section: the target's rank across layers at the last prompt position and, when
 * a column is selected, at that column too. Redrawn when the result or the selection changes.
 */
import type { ShowMessage } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { lastPromptPosition, rankSeries, tokenText, visibleToken, type RankPoint } from '../result/view';
import { rankChart, type Series } from './chart';
import { h } from './dom';
import type { Part } from './state';

function seriesFor(result: BackwardLensResult, selected: number | undefined): Series[] {
  // A descent step writes the bottom of LL(δ), so δ's curve counts the target's rank from the
  // bottom: 0 there means the update writes the target first, as the paper reads it.
  const fromBottom = (points: RankPoint[]) => points.map((p) => ({ ...p, rank: result.model.vocabSize - 1 - p.rank }));
  const curves = (position: number, extraClass: string): Series[] => {
    const token = visibleToken(result.tokens[position]?.text ?? '');
    return [
      { label: `FF2 δ at ${position} “${token}” (from the bottom)`, points: fromBottom(rankSeries(result, 'ff2', position)), className: `s-ff2${extraClass}` },
      { label: `FF1 x at ${position} “${token}”`, points: rankSeries(result, 'ff1', position), className: `s-ff1${extraClass}` },
    ];
  };
  const last = lastPromptPosition(result);
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
      const target = visibleToken(tokenText(result, result.rankIds[lastPromptPosition(result)]));
      const layers = result.layers.map((l) => l.layer).sort((a, b) => a - b);
      element.replaceChildren(
        h('h2', {}, `Rank of “${target}” across layers`),
        h('p', { class: 'hint' }, 'Click a column to add its curves. FF1: 0 = the most probable token of LL(x). FF2: 0 = the least probable token of LL(δ), what a descent step writes.'),
        rankChart(seriesFor(result, selectedPosition), layers, result.model.vocabSize, `Rank of ${target} across layers`),
      );
    },
  };
}
