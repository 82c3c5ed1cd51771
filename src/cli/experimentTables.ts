/** Plain-text rendering of a result's neuron view and gradient check, after its grids. */
import type { BackwardLensResult, GradientCheck, LensCell, NeuronVector, NeuronView } from '../result/schema';
import { checkSummary, weightShortName } from '../result/experiments';
import { formatNumber, visibleToken } from '../result/view';

const fit = (text: string, width: number) => {
  const chars = Array.from(text);
  return (chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text).padEnd(width);
};

/** "top-1 \ bottom-1 r<rank>", as the grids' cells read. */
const cellText = (c: LensCell) => `${visibleToken(c.top[0]?.text ?? '')} \\ ${visibleToken(c.bottom[0]?.text ?? '')} r${c.targetRank}`;

/** Wide enough for the longest "name kind", GPT-NeoX's "dense_4h_to_h value", and a space. */
const VECTOR_WIDTH = 20;

function vectorRow(kind: string, v: NeuronVector): string {
  const positions = v.positions.slice(0, 3).map((p) => `${p.position}:${p.weight >= 0 ? '+' : ''}${formatNumber(p.weight, 3)}`).join(' ');
  return `${fit(`${weightShortName(v.weight)} ${kind}`, VECTOR_WIDTH)}${fit(formatNumber(v.gradNorm), 10)}${fit(cellText(v.before), 22)}${fit(cellText(v.after), 22)}${positions}`;
}

export function renderNeurons(view: NeuronView, rankToken: string): string {
  const lines = [
    `Neurons with the largest gradient rows, ${view.count} per layer for FF1 and for FF2: each key and value before and after one SGD step (η = ${view.eta});`,
    `top-1 \\ bottom-1 of LL(vector), r = rank of "${visibleToken(rankToken)}"; positions: i:weight, δ^FF1_i[j]·‖x_i‖ for keys, h_i[j]·‖δ_i‖ for values`,
    `${fit('layer neuron', 16)}${fit('vector', VECTOR_WIDTH)}${fit('‖∇‖', 10)}${fit('before', 22)}${fit('after', 22)}largest positions`,
  ];
  for (const layer of [...view.layers].reverse()) {
    for (const [list, neurons] of [['FF1', layer.ff1], ['FF2', layer.ff2]] as const) {
      for (const neuron of neurons) {
        const label = fit(`${layer.layer} ${list} #${neuron.index}`, 16);
        const rows = [...neuron.keys.map((k) => vectorRow('key', k)), vectorRow('value', neuron.value)];
        rows.forEach((row, i) => lines.push((i === 0 ? label : fit('', 16)) + row));
      }
    }
  }
  return lines.join('\n');
}

export function renderCheck(check: GradientCheck): string {
  const lines = [
    `Gradient check: ⟨∇W, E⟩ from the factors against (L(W + εE) − L(W − εE)) / 2ε, E = u vᵀ random (seed ${check.seed})`,
    `${fit('layer', 7)}${fit('FF1 factors', 14)}${fit('FF1 differences', 17)}${fit('rel. error', 12)}${fit('FF2 factors', 14)}${fit('FF2 differences', 17)}rel. error`,
  ];
  for (const l of check.layers) {
    const part = (c: typeof l.ff1, last: boolean) => fit(formatNumber(c.fromFactors, 6), 14) + fit(formatNumber(c.finiteDifference, 6), 17) + (last ? c.relativeError.toExponential(1) : fit(c.relativeError.toExponential(1), 12));
    lines.push(fit(String(l.layer), 7) + part(l.ff1, false) + part(l.ff2, true));
  }
  lines.push(checkSummary(check).text);
  return lines.join('\n');
}

/** The sections a result has beyond its grids. */
export function experimentSections(result: BackwardLensResult): string[] {
  const rankToken = result.targetTokens[0]?.text ?? '';
  return [...(result.neurons ? [renderNeurons(result.neurons, rankToken)] : []), ...(result.check ? [renderCheck(result.check)] : [])];
}
