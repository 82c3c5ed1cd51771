/**
 * The edit preview's part of the page state: the shown result's edits (the host's copy, sent
 * back after each run), whether the latest preview was reverted, and which run is in flight.
 * Revert is the page's alone: the engine edits in memory only, so the original read-out is
 * the preview's "before", and nothing on the host needs undoing. No DOM here, so it tests in Node.
 */
import type { EditChoice, EditedMessage, EditFormState, ShowMessage, SweepChoice } from '../protocol/messages';
import { NO_EDITS, resultWithEdits } from '../result/savedEdits';
import type { SavedEdits } from '../result/schema';

export type EditRun = 'edit' | 'sweep';

export interface EditView {
  edits: SavedEdits;
  /** The latest preview was reverted: the original read-out is shown again. */
  reverted: boolean;
  /** The run the page asked for and waits on. */
  running?: EditRun;
}

/** A newly shown result brings its own saved edits, none reverted. */
export function editViewFor(show: ShowMessage): EditView {
  return { edits: show.result.edits ?? NO_EDITS, reverted: false };
}

/** The host's answer to a run: its edits, a new preview shown as it came out; a sweep leaves a revert as it was. */
export function editedView(message: EditedMessage, before: EditView | undefined): EditView {
  const latest = (edits: SavedEdits | undefined) => JSON.stringify(edits?.previews.at(-1) ?? null);
  return { edits: message.edits, reverted: before?.reverted === true && latest(before.edits) === latest(message.edits) };
}

export const runningView = (view: EditView | undefined, running: EditRun | undefined, show: ShowMessage): EditView => ({
  ...(view ?? editViewFor(show)),
  running,
});

export const revertedView = (view: EditView): EditView => ({ ...view, reverted: true });

/** What the page persists: the result with its edits, so a reloaded panel shows them again. */
export function persistedShow(show: ShowMessage | undefined, view: EditView | undefined): ShowMessage | undefined {
  if (!show || !view || view.edits === (show.result.edits ?? NO_EDITS)) return show;
  return { ...show, result: resultWithEdits(show.result, view.edits) };
}

/** What the edit preview may ask of the page. */
export interface EditActions {
  runEdit(choice: EditChoice): void;
  runSweep(choice: SweepChoice): void;
  /** Shows the original read-out again; the model was never changed. */
  revert(): void;
  /** Stops the run in flight. */
  cancel(): void;
  /** Keeps the form's choices with the page state, so that a reload brings them back. */
  setForm(form: EditFormState): void;
}
