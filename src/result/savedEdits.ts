/**
 * The edit previews and sweeps kept with a result (result.edits): each run is appended, and only
 * the latest EDIT_LIMITS.runs of each kind are kept, so a long session cannot grow a file without
 * bound. No DOM, no VS Code: the host adds runs, the page and the report read them.
 */
import type { EditResult, EditSweepResult } from '../engine/api';
import type { BackwardLensResult, SavedEdits } from './schema';

/** What result.edits may hold: runs of each kind, prompts of one preview (the prompt and its neighbours), η of one sweep's grid. */
export const EDIT_LIMITS = { runs: 50, prompts: 33, etas: 64 } as const;

/** The most neighbour prompts one edit reads out (each costs two forward passes): all of a preview's prompts but its own. */
export const MAX_NEIGHBOURS = EDIT_LIMITS.prompts - 1;

export const NO_EDITS: SavedEdits = { previews: [], sweeps: [] };

const latest = <T>(list: T[], item: T): T[] => [...list, item].slice(-EDIT_LIMITS.runs);

export function withPreview(edits: SavedEdits | undefined, preview: EditResult): SavedEdits {
  const { previews, sweeps } = edits ?? NO_EDITS;
  return { previews: latest(previews, preview), sweeps };
}

export function withSweep(edits: SavedEdits | undefined, sweep: EditSweepResult): SavedEdits {
  const { previews, sweeps } = edits ?? NO_EDITS;
  return { previews, sweeps: latest(sweeps, sweep) };
}

/** The result as saved: with its edits, or as it was when none were run. */
export function resultWithEdits(result: BackwardLensResult, edits: SavedEdits | undefined): BackwardLensResult {
  return edits && (edits.previews.length > 0 || edits.sweeps.length > 0) ? { ...result, edits } : result;
}
