/**
 * How the panel and the Markdown report describe a saved edit or sweep: one title, the target's
 * rank in words, and what changed between two read-outs. No DOM, so it tests in Node.
 */
import type { EditMethod, EditResult, EditSweepResult, NextTokenReadout } from '../engine/api';
import { formatNumber, visibleToken } from './view';

export const EDIT_METHOD_LABELS: Record<EditMethod, string> = {
  'forward-shift': 'Forward-pass shift (the paper’s, at FF2)',
  sgd: 'One SGD step on the MLP weights',
};

/** "layer 4" or "layers 3, 4". */
export const layerList = (layers: number[]): string => (layers.length === 1 ? `layer ${layers[0]}` : `layers ${layers.join(', ')}`);

export function previewTitle(preview: EditResult): string {
  const what = preview.method === 'forward-shift' ? 'Forward-pass shift' : 'One SGD step';
  return `${what} at ${layerList(preview.layers)}, η = ${formatNumber(preview.eta)}`;
}

export function sweepTitle(sweep: EditSweepResult): string {
  const what = sweep.method === 'forward-shift' ? 'forward-pass shift' : 'one SGD step';
  const etas = sweep.etas;
  return `Sweep of the ${what}, one layer at a time, η from ${formatNumber(etas[0])} to ${formatNumber(etas[etas.length - 1])} (${etas.length} values)`;
}

/** "argmax" or "rank 5": the rank counts the tokens with a strictly higher probability. */
export const rankWords = (readout: NextTokenReadout): string => (readout.targetRank === 0 ? 'argmax' : `rank ${readout.targetRank}`);

export interface ReadoutChange {
  /** The target's rank went down (toward the argmax), up, or stayed. */
  rank: 'closer' | 'farther' | 'same';
  becameArgmax: boolean;
  /** Ids in the after top-k that the before top-k did not list. */
  entered: Set<number>;
}

export function readoutChange(before: NextTokenReadout, after: NextTokenReadout): ReadoutChange {
  const listed = new Set(before.top.map((t) => t.id));
  return {
    rank: after.targetRank < before.targetRank ? 'closer' : after.targetRank > before.targetRank ? 'farther' : 'same',
    becameArgmax: before.targetRank > 0 && after.targetRank === 0,
    entered: new Set(after.top.filter((t) => !listed.has(t.id)).map((t) => t.id)),
  };
}

/** The sweep's answer for one layer, in words. */
export function smallestEtaWords(sweep: EditSweepResult, layer: EditSweepResult['layers'][number]): string {
  return layer.smallestEta === null ? `none up to ${formatNumber(sweep.etas[sweep.etas.length - 1])}` : formatNumber(layer.smallestEta);
}

/** The target as the read-outs report it (their first target token). */
export const editTarget = (run: EditResult | EditSweepResult): string => visibleToken(run.targetTokens[0]?.text ?? '');

/** Said with every revert and every saved preview: the edit was never written to the model. */
export function revertNote(preview: EditResult): string {
  return preview.reverted
    ? 'The model’s weights were never changed: the edit ran in memory only, and leaving it out gave back the original logits bit for bit.'
    : 'The model’s weights were never changed (the edit ran in memory only), but the logits without the update differed from the original ones.';
}
