/**
 * The editor-side panel: one at a time, reused across analyses, and brought back after a
 * window reload from the result its page persisted.
 */
import * as vscode from 'vscode';
import { parsePersistedState } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { LIVE_CAPABILITIES, ResultSurface, webviewOptions, type Shown, type SurfaceActions } from './resultSurface';

export const PANEL_VIEW_TYPE = 'backwardLens.panel';

function panelTitle(result: BackwardLensResult): string {
  const prompt = result.prompt.replace(/\s+/g, ' ').trim();
  return `Backward Lens: ${prompt.length > 28 ? `${prompt.slice(0, 27)}…` : prompt}`;
}

export class ResultPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private surface: ResultSurface | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The panel's result while the panel is the active editor. */
  focusedResult(): BackwardLensResult | undefined {
    return this.panel?.active ? this.surface?.current?.result : undefined;
  }

  /** Shows `shown`, opening the panel beside the editor if it is closed; `from` already shows it. */
  show(shown: Shown, from?: ResultSurface): void {
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        panelTitle(shown.result),
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        webviewOptions(this.extensionUri),
      );
      this.attach(panel);
    } else {
      this.panel.reveal(undefined, true);
    }
    this.panel!.title = panelTitle(shown.result);
    if (this.surface !== from) this.surface!.show(shown);
  }

  /** Called by the serializer after a reload: returns the result the page's persisted state holds. */
  revive(panel: vscode.WebviewPanel, state: unknown): Shown | undefined {
    this.panel?.dispose();
    const show = parsePersistedState(state)?.show;
    const shown = show ? { result: show.result, origin: show.origin } : undefined;
    this.attach(panel, shown);
    return shown;
  }

  private attach(panel: vscode.WebviewPanel, initial?: Shown): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    const surface = new ResultSurface(panel.webview, this.extensionUri, LIVE_CAPABILITIES, this.actions, this.log, initial);
    this.surface = surface;
    panel.onDidDispose(() => {
      surface.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.surface = undefined;
      }
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
