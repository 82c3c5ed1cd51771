/**
 * The report's section on the edits run from the panel (result.edits): each preview's read-outs
 * before and after, per prompt, and each sweep's smallest η per layer, as Markdown tables.
 */
import type { EditResult, EditSweepResult } from '../engine/api';
import { previewTitle, rankWords, revertNote, smallestEtaWords, sweepTitle } from '../result/editView';
import type { BackwardLensResult } from '../result/schema';
import { formatNumber, formatProb } from '../result/view';
import { mdText, mdToken, scored, tableHead } from './markdown';

function previewLines(preview: EditResult): string[] {
  const target = mdToken(preview.targetTokens[0]?.text ?? '');
  const header = ['prompt', '', `p(${target})`, 'target', 'next-token top-k'];
  const rows = preview.prompts.flatMap((p) =>
    (['before', 'after'] as const).map((when) => `| ${when === 'before' ? mdText(p.prompt) : ''} | ${when} | ${formatProb(p[when].targetProb)} | ${rankWords(p[when])} | ${scored(p[when].top)} |`),
  );
  const outcome = preview.skipped ? `Skipped: ${mdText(preview.skipped)}` : `Loss on the prompt ${formatNumber(preview.loss.before)} → ${formatNumber(preview.loss.after)}.`;
  return [`### ${mdText(previewTitle(preview))}`, '', `${outcome} ${mdText(revertNote(preview))}`, '', ...tableHead(header), ...rows, ''];
}

function sweepLines(sweep: EditSweepResult): string[] {
  const target = mdToken(sweep.targetTokens[0]?.text ?? '');
  const before = `Before: p(${target}) ${formatProb(sweep.before.targetProb)}, ${rankWords(sweep.before)}.`;
  if (sweep.skipped) return [`### ${mdText(sweepTitle(sweep))}`, '', `${before} Skipped: ${mdText(sweep.skipped)}`, ''];
  const rows = sweep.layers.map((l) => `| ${l.layer} | ${smallestEtaWords(sweep, l)} | ${l.after ? formatProb(l.after.targetProb) : '—'} |`);
  return [`### ${mdText(sweepTitle(sweep))}`, '', `${before} η grid: ${sweep.etas.map((eta) => formatNumber(eta)).join(', ')}.`, '', `| layer | smallest η making ${target} the argmax | p(${target}) there |`, '| --- | --- | --- |', ...rows, ''];
}

/** Nothing when no edit was run. */
export function editSections(result: BackwardLensResult): string[] {
  const edits = result.edits;
  if (!edits || (edits.previews.length === 0 && edits.sweeps.length === 0)) return [];
  return [
    '## Edit previews (in memory only: the model’s weights were never changed)',
    '',
    ...edits.previews.flatMap(previewLines),
    ...edits.sweeps.flatMap(sweepLines),
  ];
}
