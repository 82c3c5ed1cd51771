/** Plain-text rendering of an edit's before/after read-outs and of a sweep, for the terminal. */
import type { EditResult, EditSweepResult, NextTokenReadout } from '../engine/api';
import { layerList } from '../result/editView';
import { formatNumber, formatProb, visibleToken } from '../result/view';

const quoted = (text: string) => `"${visibleToken(text)}"`;

function readoutRow(label: string, r: NextTokenReadout): string {
  const top = r.top.map((t) => `${quoted(t.text)} ${formatProb(t.prob)}`).join(', ');
  return `  ${label.padEnd(7)}${formatNumber(r.targetProb, 3).padStart(9)}${String(r.targetRank).padStart(7)}   ${top}`;
}

function methodLine(method: EditResult['method'], where: string): string {
  const what = method === 'forward-shift' ? 'forward-pass shift W_out ← W_out + η·h_nᵀ e_t' : 'one SGD step W ← W − η∇W on the MLP weights';
  return `${what} ${where} (in memory: the model's files are untouched)`;
}

export function renderEdit(result: EditResult, modelName: string): string {
  const target = quoted(result.targetTokens[0].text);
  const lines = [`${modelName}: ${methodLine(result.method, `at ${layerList(result.layers)}, η = ${result.eta}`)}`, `target ${target} (id ${result.targetIds[0]})`];
  if (result.skipped) lines.push(`skipped: ${result.skipped}`);
  for (const p of result.prompts) {
    lines.push('', `prompt ${JSON.stringify(p.prompt)}`, `         p(target)  rank   top-${p.before.top.length}`, readoutRow('before', p.before), readoutRow('after', p.after));
  }
  lines.push('', `loss on the prompt: ${formatNumber(result.loss.before)} → ${formatNumber(result.loss.after)}`);
  for (const s of result.shifts ?? []) {
    lines.push(`direct change of the target logit through layer ${s.layer}'s FF2: ${formatNumber(s.measured, 6)} (η‖h_n‖²‖e_t‖² = ${formatNumber(s.predicted, 6)})`);
  }
  lines.push(result.reverted ? 'revert: leaving the update out gives back the original logits bit for bit' : 'revert: the logits without the update differ from the original ones');
  return lines.join('\n');
}

export function renderSweep(result: EditSweepResult, modelName: string): string {
  const target = quoted(result.targetTokens[0].text);
  const lines = [
    `${modelName}: ${methodLine(result.method, `at one layer at a time, η from ${result.etas.join(', ')}`)}`,
    `target ${target} (id ${result.targetIds[0]}): p = ${formatNumber(result.before.targetProb, 3)}, rank ${result.before.targetRank} before the edit`,
  ];
  if (result.skipped) return [...lines, `skipped: ${result.skipped}`].join('\n');
  lines.push('', 'layer  smallest η making it the argmax   p(target) there');
  for (const l of result.layers) {
    const found = l.smallestEta === null ? `none up to ${result.etas[result.etas.length - 1]}` : String(l.smallestEta);
    lines.push(`${String(l.layer).padEnd(7)}${found.padEnd(34)}${l.after ? formatNumber(l.after.targetProb, 3) : ''}`);
  }
  return lines.join('\n');
}
