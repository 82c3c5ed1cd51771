/**
 * Plain-text rendering of a result for the terminal: a header, then each grid as the paper
 * draws it — layers as rows, last layer on top; input tokens as columns; each cell
 * "top \ bottom" over a second line with ‖v‖ and the rank of the column's rank token.
 */
import type { BackwardLensResult, LensRow } from '../result/schema';

const CELL_WIDTH = 17;

/** Token text made visible: spaces as '␣', control characters escaped. */
export function showToken(text: string): string {
  return JSON.stringify(text).slice(1, -1).replace(/ /g, '␣');
}

function fit(text: string, width = CELL_WIDTH): string {
  const chars = Array.from(text);
  return (chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text).padEnd(width);
}

function grid(result: BackwardLensResult, title: string, pick: (layer: BackwardLensResult['layers'][number]) => LensRow): string {
  const lines = [title, fit('layer', 7) + result.tokens.map((t, i) => fit(`${i}:${showToken(t.text)}`)).join('')];
  for (const layer of [...result.layers].reverse()) {
    const row = pick(layer);
    // A zero vector projects to the uniform distribution, whose "top" tokens are ties: show 0.
    const cells = row.top.map((top, i) => fit(row.norms[i] === 0 ? '0' : `${showToken(top[0].text)} \\ ${showToken(row.bottom[i][0].text)}`));
    const stats = row.norms.map((norm, i) => fit(norm === 0 ? '' : `‖${norm.toPrecision(3)}‖ r${row.targetRank[i]}`));
    lines.push(fit(String(layer.layer), 7) + cells.join(''), fit('', 7) + stats.join(''));
  }
  return lines.join('\n');
}

export function renderResultTables(result: BackwardLensResult): string {
  const known = [...result.tokens, ...result.targetTokens];
  const tokenList = (ids: number[]) => ids.map((id) => showToken(known.find((t) => t.id === id)?.text ?? String(id)));
  const header = [
    `model ${result.model.name} (${result.model.architecture}, ${result.model.layers} layers, d=${result.model.hiddenSize}, V=${result.model.vocabSize}) on ${result.executionProvider.toUpperCase()}${result.matmuls === 'float16' ? ', float16 matmuls' : ''}${result.executionProviderNote ? ` — ${result.executionProviderNote}` : ''}`,
    `loss mode ${result.lossMode}: L = ${result.loss.toFixed(4)} over target tokens ${result.targetTokens.map((t) => `${t.id}:${showToken(t.text)}`).join(' ')}`,
    `tokens ${result.tokens.map((t) => `${t.id}:${showToken(t.text)}`).join(' ')}`,
    `prediction ${result.prediction.map((p) => `${showToken(p.text)} ${p.prob.toFixed(3)}`).join(', ')}`,
    `lens ${result.lens.normalized ? 'normalized' : 'paper'}${result.lens.projection === 'float16' ? ' (float16 projection)' : ''} LL(v) = softmax(ln_f(v)·D), top-${result.lens.topK}; cells: top-1 \\ bottom-1, ‖v‖, rank r of the column's rank token (${tokenList([...new Set(result.rankIds)]).join(', ')})`,
    `gradient rank per layer (FF1/FF2, n=${result.tokens.length}): ${result.layers.map((l) => `${l.gradRank.ff1}/${l.gradRank.ff2}`).join(' ')}`,
    `‖∇W‖_F per layer (FF1/FF2): ${result.layers.map((l) => `${l.gradNorm.ff1.toPrecision(3)}/${l.gradNorm.ff2.toPrecision(3)}`).join(' ')}`,
    `timings: compile ${result.timings.compileMs.toFixed(0)} ms, run ${result.timings.runMs.toFixed(1)} ms`,
  ];
  return [
    header.join('\n'),
    grid(result, 'FF1 inputs x_i (imprint): LL(x_i)', (l) => l.ff1),
    grid(result, 'FF2 VJPs δ_i (shift): LL(δ_i) — bottom is what a descent step writes', (l) => l.ff2),
  ].join('\n\n');
}
