/**
 * The cancellable notification around engine work: it names each step, advances its bar with
 * the lens's blocks, turns Cancel into an AbortSignal, and reports a failure once.
 */
import * as vscode from 'vscode';
import type { ProgressStep, RunControl } from '../engine/api';
import { describeStep } from '../engine/describeStep';

const TITLE = 'Backward Lens';

/** What the work inside the notification is handed. */
export interface Job {
  /** For the engine: Cancel aborts the call, and the steps it reports show in the notification. */
  readonly control: Required<RunControl>;
  /** Shows a step of the work's own (loading the model, predicting the next token). */
  report(message: string): void;
}

class Cancelled extends Error {}

/** Rejects as soon as the user cancels, whether or not `work` heeds the abort. */
function untilCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Cancelled());
    // A signal aborted before the work started (the page's Cancel) fires no event any more.
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `work` inside the notification. Resolves undefined when the user cancels (an analysis
 * stops at its next step; a model load finishes in the background and its session is reused);
 * a failure is logged, shown with a Show Log button, and rethrown. `onStep` hears every step
 * too, and undefined once the work is over. `cancel` is a second Cancel button (the page's).
 */
export async function withProgress<T>(
  log: vscode.LogOutputChannel,
  work: (job: Job) => Promise<T>,
  onStep?: (step: string | undefined) => void,
  cancel?: AbortSignal,
): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: TITLE, cancellable: true }, (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      if (cancel?.aborted) abort.abort();
      cancel?.addEventListener('abort', () => abort.abort(), { once: true });
      const report = (message: string, increment?: number): void => {
        progress.report({ message, increment });
        onStep?.(message);
      };
      // VS Code adds up increments; the engine reports how far it is.
      let percent = 0;
      const onProgress = (step: ProgressStep): void => {
        const view = describeStep(step);
        const increment = view.percent === undefined ? undefined : Math.max(0, view.percent - percent);
        percent += increment ?? 0;
        report(view.message, increment);
      };
      return untilCancelled(work({ control: { signal: abort.signal, onProgress }, report }), abort.signal);
    });
  } catch (err) {
    if (err instanceof Cancelled) {
      log.info(`${TITLE}: cancelled`);
      return undefined;
    }
    const message = err instanceof Error ? err.message : String(err);
    log.error(`${TITLE}: ${err instanceof Error && err.stack ? err.stack : message}`);
    void vscode.window.showErrorMessage(`${TITLE}: ${message}`, 'Show Log').then((choice) => {
      if (choice) log.show(true);
    });
    throw err;
  } finally {
    onStep?.(undefined);
  }
}
