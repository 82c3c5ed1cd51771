/** The view in the panel area that mirrors the latest result, whenever VS Code shows it. */
import * as vscode from 'vscode';
import type { HistoryEntry } from '../protocol/messages';
import { LIVE_CAPABILITIES, ResultSurface, type Shown, type SurfaceActions } from './resultSurface';

export const RESULTS_VIEW_ID = 'backwardLens.resultsView';

export class ResultsViewProvider implements vscode.WebviewViewProvider {
  private surface: ResultSurface | undefined;
  private latest: Shown | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const surface = new ResultSurface(view.webview, this.extensionUri, LIVE_CAPABILITIES, this.actions, this.log, this.latest);
    this.surface = surface;
    view.onDidDispose(() => {
      surface.dispose();
      if (this.surface === surface) this.surface = undefined;
    });
  }

  history(entries: HistoryEntry[]): void {
    this.surface?.history(entries);
  }

  /** Shows `shown` now if the view is open, else once it opens; `from` already shows it. */
  show(shown: Shown, from?: ResultSurface): void {
    this.latest = shown;
    if (this.surface !== from) this.surface?.show(shown);
  }
}
