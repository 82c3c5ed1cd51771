/**
 * The Markdown report saved next to each `.blens.json`: the same facts as the panel, in a
 * form that diffs well in git and renders on any code host.
 */
import type { BackwardLensResult, ScoredToken } from '../result/schema';
import { buildGrid, formatNumber, formatProb, GRID_TITLES, headerFacts, lastPromptPosition, partSeparator, visibleToken, type FactPart, type GridName } from '../result/view';

/**
 * A token as an inline code span that survives Markdown tables: pipes are escaped (GFM splits
 * cells on them even inside code), the fence is longer than any backtick run inside, and
 * whitespace is made visible because a leading space is part of the token's identity.
 */
export function mdToken(text: string): string {
  const shown = visibleToken(text);
  const longestRun = Math.max(0, ...(shown.match(/`+/g) ?? []).map((r) => r.length));
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

function scored(list: ScoredToken[]): string {
  return list.map((t) => `${mdToken(t.text)} ${formatProb(t.prob)}`).join(', ');
}

function gridTable(result: BackwardLensResult, name: GridName): string {
  const grid = buildGrid(result, name);
  const header = ['layer', ...result.tokens.map((t, i) => `${i}: ${mdToken(t.text)}`), '‖∇W‖', 'rank ∇W'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const row of grid.rows) {
    const cells = row.cells.map((c) => {
      const top = c.top[0] ? mdToken(c.top[0].text) : '';
      const bottom = c.bottom[0] ? mdToken(c.bottom[0].text) : '';
      return `${top} \\\\ ${bottom} <sub>‖v‖=${formatNumber(c.norm)}, rank ${c.targetRank}</sub>`;
    });
    lines.push(`| ${[String(row.layer), ...cells, formatNumber(row.gradNorm), String(row.gradRank)].join(' | ')} |`);
  }
  return lines.join('\n');
}

function mdPart(part: FactPart): string {
  if (typeof part === 'string') return mdText(part);
  if ('userText' in part) return mdText(part.userText);
  return 'prob' in part ? `${mdToken(part.token)} ${formatProb(part.prob)}` : mdToken(part.token);
}

export function renderMarkdownReport(result: BackwardLensResult): string {
  const last = lastPromptPosition(result);
  const out: string[] = [];
  out.push(`# Backward Lens: ${mdText(result.prompt.slice(0, 80))}${result.prompt.length > 80 ? '…' : ''}`);
  out.push('');
  out.push('| | |', '| --- | --- |');
  for (const fact of headerFacts(result, true)) {
    const value = fact.parts.map((part, i) => partSeparator(fact.parts[i - 1], part) + mdPart(part)).join('');
    out.push(`| ${fact.label} | ${value || '—'} |`);
  }
  out.push('');
  out.push('Cells read `top \\ bottom` of LL(v) = softmax(ln_f(v)·D); `rank` is the rank of the');
  out.push("position's target token in LL(v) (0 = most probable). Last layer first, as in the paper.");
  for (const name of ['ff1', 'ff2'] as const) {
    out.push('', `## ${GRID_TITLES[name].title}: ${GRID_TITLES[name].subtitle}`, '', gridTable(result, name));
  }
  out.push('', `## Top-k and bottom-k at the last prompt position (${last}: ${mdToken(result.tokens[last]?.text ?? '')})`, '');
  out.push('| layer | FF1 top | FF2 bottom |', '| --- | --- | --- |');
  for (const layer of [...result.layers].sort((a, b) => b.layer - a.layer)) {
    out.push(`| ${layer.layer} | ${scored(layer.ff1.top[last] ?? [])} | ${scored(layer.ff2.bottom[last] ?? [])} |`);
  }
  out.push('');
  return out.join('\n');
}
