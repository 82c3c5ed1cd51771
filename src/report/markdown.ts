/**
 * The Markdown report saved next to each `.blens.json`: the same facts as the panel, in a
 * form that diffs well in git and renders on any code host. Each grid is written one layer at a
 * time, a row per input position, so the tables stay about 80 characters wide (readable in a
 * 100-column preview or on GitHub) however long the prompt is.
 */
import { checkSummary, contributingPositions, formatError, weightShortName } from '../result/experiments';
import type { BackwardLensResult, DirectionalCheck, GradientCheck, NeuronVector, NeuronView, ScoredToken } from '../result/schema';
import {
  buildGrid,
  expectedGradientRank,
  formatNumber,
  formatProb,
  GRID_TITLES,
  gridLegend,
  headerFacts,
  HOW_TO_READ,
  lastLossPosition,
  largest,
  partSeparator,
  RANK_COUNTING,
  visibleToken,
  type FactPart,
  type GridName,
} from '../result/view';
import { editSections } from './editSections';

/**
 * A token as an inline code span that survives Markdown tables: pipes are escaped (GFM splits
 * cells on them even inside code), the fence is longer than any backtick run inside, and
 * whitespace is made visible because a leading space is part of the token's identity.
 */
export function mdToken(text: string): string {
  const shown = visibleToken(text);
  const longestRun = Math.max(0, largest((shown.match(/`+/g) ?? []).map((r) => r.length)));
  const fence = '`'.repeat(longestRun + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${shown.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** Plain text in a table cell or paragraph: escape what Markdown or HTML would interpret. */
export function mdText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/([`*_[\]<>|~])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

/** Tokens with their probabilities, comma-separated. */
export function scored(list: ScoredToken[]): string {
  return list.map((t) => `${mdToken(t.text)} ${formatProb(t.prob)}`).join(', ');
}

/** A table's header row and its separator. */
export const tableHead = (header: string[]): string[] => [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];

/** A lens cell as the grids read it: top-1 \ bottom-1. */
const topBottom = (c: { top: ScoredToken[]; bottom: ScoredToken[] }): string => `${mdToken(c.top[0]?.text ?? '')} \\\\ ${mdToken(c.bottom[0]?.text ?? '')}`;

/** One grid as a table per layer, last layer first; a "rank of" column only where positions rank different tokens (training text). */
function gridSections(result: BackwardLensResult, name: GridName): string[] {
  const grid = buildGrid(result, name);
  const v = GRID_TITLES[name].vector;
  const perPosition = new Set(result.rankIds).size > 1;
  const header = ['#', 'token', 'top \\ bottom', `‖${v}‖`, ...(perPosition ? ['rank of'] : []), RANK_COUNTING[name].label];
  const legend = gridLegend(grid, 'update')
    .filter((item) => item.kind !== 'bold' && item.kind !== 'shade')
    .map((item) => mdText(item.text))
    .join(' · ');
  const out = [`## ${GRID_TITLES[name].title}: ${GRID_TITLES[name].subtitle}`, '', `${legend}.`];
  grid.rows.forEach((row, r) => {
    const expected = expectedGradientRank(result, row.layer);
    out.push('', `### Layer ${row.layer}${r === 0 ? ' (last)' : ''} · ‖∇W‖ ${formatNumber(row.gradNorm)} · rank ${row.gradRank} (expected ${expected})`, '');
    out.push(...tableHead(header));
    for (const c of row.cells) {
      const lens = c.zero ? 'no gradient reaches here' : topBottom(c);
      const rankOf = perPosition ? [c.zero ? '' : mdToken(c.rankToken)] : [];
      const cells = [String(c.position), mdToken(result.tokens[c.position].text), lens, formatNumber(c.norm), ...rankOf, c.rank === undefined ? '' : String(c.rank)];
      out.push(`| ${cells.join(' | ')} |`);
    }
  });
  return out;
}

function mdPart(part: FactPart): string {
  if (typeof part === 'string') return mdText(part);
  if ('userText' in part) return mdText(part.userText);
  return 'prob' in part ? `${mdToken(part.token)} ${formatProb(part.prob)}` : mdToken(part.token);
}


/** The neuron view, a table per layer (last first), a row per key and value of each neuron. */
function neuronSections(result: BackwardLensResult, view: NeuronView): string[] {
  const out = [
    `## Neurons with the largest gradients (${view.count} per layer in FF1 and in FF2, η = ${formatNumber(view.eta)})`,
    '',
    mdText(`Each neuron's key (FF1 weight vector) and value (FF2) through the lens before and after one SGD step W ← W − η∇W, as top-1 \\ bottom-1; largest positions: the terms of its gradient, δ^FF1_i[j]·‖x_i‖ for a key, h_i[j]·‖δ_i‖ for a value.`),
  ];
  const header = ['list', 'neuron', 'vector', '‖∇‖', 'before', 'after', 'largest positions'];
  for (const layer of [...view.layers].reverse()) {
    out.push('', `### Layer ${layer.layer}`, '', ...tableHead(header));
    for (const [list, neurons] of [['FF1', layer.ff1], ['FF2', layer.ff2]] as const) {
      for (const neuron of neurons) {
        const vectors: [string, NeuronVector][] = [...neuron.keys.map((k): [string, NeuronVector] => ['key', k]), ['value', neuron.value]];
        for (const [kind, v] of vectors) {
          const positions = contributingPositions(v).map((p) => `${p.position} ${mdToken(result.tokens[p.position]?.text ?? '')} ${formatNumber(p.weight, 3)}`).join(', ');
          out.push(`| ${list} | ${neuron.index} | ${weightShortName(v.weight)} ${kind} | ${formatNumber(v.gradNorm)} | ${topBottom(v.before)} | ${topBottom(v.after)} | ${positions} |`);
        }
      }
    }
  }
  return out;
}

function checkSection(check: GradientCheck): string[] {
  const summary = checkSummary(check);
  const header = ['layer', 'FF1 factors', 'FF1 differences', 'FF1 error', 'FF2 factors', 'FF2 differences', 'FF2 error'];
  const part = (c: DirectionalCheck) => `${formatNumber(c.fromFactors, 6)} | ${formatNumber(c.finiteDifference, 6)} | ${formatError(c.relativeError)}`;
  return [
    '## Gradient check',
    '',
    `${mdText(summary.text)}.`,
    '',
    ...tableHead(header),
    ...check.layers.map((l) => `| ${l.layer} | ${part(l.ff1)} | ${part(l.ff2)} |`),
  ];
}

export function renderMarkdownReport(result: BackwardLensResult): string {
  const last = lastLossPosition(result);
  const facts = headerFacts(result, true);
  const out: string[] = [];
  out.push(`# Backward Lens: ${mdText(result.prompt.slice(0, 80))}${result.prompt.length > 80 ? '…' : ''}`);
  out.push('');
  out.push('| | |', '| --- | --- |');
  for (const fact of facts) {
    const value = fact.parts.map((part, i) => partSeparator(fact.parts[i - 1], part) + mdPart(part)).join('');
    out.push(`| ${fact.label} | ${value || '—'} |`);
  }
  out.push('');
  for (const fact of facts) if (fact.explanation) out.push(`- **${fact.label}**: ${mdText(fact.explanation)}`);
  out.push('', '## How to read this', '', ...HOW_TO_READ.flatMap((p) => [mdText(p), '']));
  for (const name of ['ff1', 'ff2'] as const) out.push(...gridSections(result, name), '');
  out.push(`## Top-k and bottom-k at the last loss position (${last}: ${mdToken(result.tokens[last]?.text ?? '')})`, '');
  for (const layer of [...result.layers].sort((a, b) => b.layer - a.layer)) {
    const ff2 = layer.ff2.norms[last] === 0 ? 'no gradient reaches here' : scored(layer.ff2.bottom[last] ?? []);
    out.push(`- **Layer ${layer.layer}** — FF1 top: ${scored(layer.ff1.top[last] ?? [])}; FF2 bottom: ${ff2}`);
  }
  if (result.neurons) out.push('', ...neuronSections(result, result.neurons));
  if (result.check) out.push('', ...checkSection(result.check));
  out.push('', ...editSections(result));
  return out.join('\n');
}
