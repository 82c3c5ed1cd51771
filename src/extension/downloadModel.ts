/** A Hugging Face model fetched inside a cancellable notification that shows the file, the megabytes and the bar. */
import * as vscode from 'vscode';
import type { DownloadProgress } from '../hub/download';
import { DownloadCancelled } from '../hub/hubError';
import type { HubOptions } from '../hub/hubOptions';
import { resolveModel } from '../hub/resolveModel';
import { describeDownload } from './engineSteps';

/** The model's folder once downloaded; undefined when the user cancelled (what arrived is kept, and resumed next time). */
export function downloadModel(reference: string, hub: HubOptions): Thenable<string | undefined> {
  const title = `Backward Lens: downloading ${reference}`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    // VS Code adds up increments; the download reports how far it is.
    let shown = 0;
    const onProgress = (step: DownloadProgress) => {
      const view = describeDownload(step);
      progress.report({ message: view.message, increment: Math.max(0, view.percent - shown) });
      shown = Math.max(shown, view.percent);
    };
    try {
      return await resolveModel(reference, hub, { signal: abort.signal, onProgress });
    } catch (error) {
      if (error instanceof DownloadCancelled) return undefined;
      throw error;
    }
  });
}
