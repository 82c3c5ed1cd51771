/**
 * The checks of a result's edits (result.edits) that its JSON Schema cannot state: sizes within
 * EDIT_LIMITS and RESULT_LIMITS, and layers that the result's model has.
 */
import type { NextTokenReadout } from '../engine/api';
import { EDIT_LIMITS } from './savedEdits';
import { RESULT_SCHEMA, type BackwardLensResult } from './schema';

export interface EditBounds {
  topK: number;
  tokenChars: number;
  textChars: number;
}

/** The problem with `result.edits`, or undefined when it is fine (or absent). */
export function editsProblem(result: BackwardLensResult, bounds: EditBounds): string | undefined {
  const edits = result.edits;
  if (!edits) return undefined;
  // Only the /2 schema checks the edits' shape: a /1 file's would reach the panel unchecked.
  if (result.schema !== RESULT_SCHEMA) return `edits are part of "${RESULT_SCHEMA}" files, not of "${result.schema}" ones`;
  const { previews, sweeps } = edits;
  if (previews.length > EDIT_LIMITS.runs || sweeps.length > EDIT_LIMITS.runs) return `more than ${EDIT_LIMITS.runs} edit previews or sweeps`;
  const layers = [...previews.flatMap((p) => [...p.layers, ...(p.shifts ?? []).map((s) => s.layer)]), ...sweeps.flatMap((s) => s.layers.map((l) => l.layer))];
  if (layers.some((layer) => layer >= result.model.layers)) return `an edit names a layer the ${result.model.layers}-layer model does not have`;
  if (previews.some((p) => p.prompts.length > EDIT_LIMITS.prompts)) return `an edit preview lists more than ${EDIT_LIMITS.prompts} prompts`;
  if (sweeps.some((s) => s.etas.length > EDIT_LIMITS.etas)) return `a sweep's grid has more than ${EDIT_LIMITS.etas} values of η`;
  if (previews.some((p) => p.prompts.some((q) => q.prompt.length > bounds.textChars))) return `an edit's prompt is longer than ${bounds.textChars} characters`;
  const readouts: NextTokenReadout[] = [
    ...previews.flatMap((p) => p.prompts.flatMap((q) => [q.before, q.after])),
    ...sweeps.flatMap((s) => [s.before, ...s.layers.flatMap((l) => (l.after ? [l.after] : []))]),
  ];
  if (readouts.some((r) => r.top.length > bounds.topK)) return `an edit's read-out lists more than ${bounds.topK} tokens`;
  const tokens = [...readouts.flatMap((r) => r.top), ...previews.flatMap((p) => p.targetTokens), ...sweeps.flatMap((s) => s.targetTokens)];
  if (tokens.some((t) => t.text.length > bounds.tokenChars)) return `an edit's token is longer than ${bounds.tokenChars} characters`;
  return undefined;
}
