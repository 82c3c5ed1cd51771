/**
 * Plain-text rendering of a result for the terminal: the header facts, then each grid as the
 * paper draws it (result/view's grid: last layer on top, one column per input token), each cell
 * "top \ bottom" over a second line with ‖v‖ and the rank of the column's rank token, counted
 * as result/view's RANK_COUNTING says (FF1 from the top, FF2 from the bottom).
 */
import type { BackwardLensResult } from '../result/schema';
import { experimentSections } from './experimentTables';
import { buildGrid, formatProb, gridLegend, headerFacts, partSeparator, visibleToken, type FactPart, type GridName } from '../result/view';

const CELL_WIDTH = 17;
const LABEL_WIDTH = 15;

function fit(text: string, width = CELL_WIDTH): string {
  const chars = Array.from(text);
  return (chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text).padEnd(width);
}

function textPart(part: FactPart): string {
  if (typeof part === 'string') return part;
  if ('userText' in part) return JSON.stringify(part.userText);
  return 'prob' in part ? `${visibleToken(part.token)} ${formatProb(part.prob)}` : visibleToken(part.token);
}

function grid(result: BackwardLensResult, name: GridName, title: string): string {
  const lines = [title, fit('layer', 7) + result.tokens.map((t, i) => fit(`${i}:${visibleToken(t.text)}`)).join('')];
  const model = buildGrid(result, name);
  for (const row of model.rows) {
    // A zero vector projects to the uniform distribution, whose "top" tokens are ties: no tokens, no rank.
    const cells = row.cells.map((c) => fit(c.zero ? '·' : `${visibleToken(c.top[0]?.text ?? '')} \\ ${visibleToken(c.bottom[0]?.text ?? '')}`));
    const stats = row.cells.map((c) => fit(c.zero ? '' : `‖${c.norm.toPrecision(3)}‖ r${c.rank}`));
    lines.push(fit(String(row.layer), 7) + cells.join(''), fit('', 7) + stats.join(''));
  }
  const legend = gridLegend(model, 'update').flatMap((item) => (item.kind === 'rank' ? [`r: ${item.text}`] : item.kind === 'zero' ? [`· = ${item.text}`] : []));
  lines.push(legend.join(' · '));
  return lines.join('\n');
}

/** `memory`: the memory plan's line, printed with the header (it is about the run, not the result). */
export function renderResultTables(result: BackwardLensResult, memory?: string): string {
  const header = headerFacts(result, false).map((fact) => {
    const value = fact.parts.map((part, i) => partSeparator(fact.parts[i - 1], part) + textPart(part)).join('');
    // "… on CPU" reads as one line with the model, as a user scans for which device ran; a terminal has no tooltip, so why CUDA did not run follows on its own line.
    if (fact.label !== 'Provider') return `${fit(fact.label, LABEL_WIDTH)}${value}`;
    return [`${fit('', LABEL_WIDTH)}on ${value}`, ...(fact.explanation ? [`${fit('', LABEL_WIDTH)}${fact.explanation}`] : [])].join('\n');
  });
  const lens = `cells: top-1 \\ bottom-1 of LL(v) = softmax(ln_f(v)·D), then ‖v‖ and the rank r of the column's rank token (the line under each grid says how r counts)`;
  return [
    [...header, ...(memory ? [`${fit('Memory', LABEL_WIDTH)}${memory}`] : []), lens].join('\n'),
    grid(result, 'ff1', 'FF1 inputs x_i (imprint): LL(x_i)'),
    grid(result, 'ff2', 'FF2 VJPs δ_i (shift): LL(δ_i) — bottom is what a descent step writes'),
    ...experimentSections(result),
  ].join('\n\n');
}
