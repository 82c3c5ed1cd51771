/**
 * The editor-side panel (one at a time, reused across analyses), the panel-area view that
 * mirrors the latest result, and the read-only custom editor for `*.blens.json` files. All
 * three host the same UI through ResultSurface.
 */
import * as vscode from 'vscode';
import { parsePersistedState, type SurfaceCapabilities } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { parseResultFile } from '../report/resultFile';
import { ResultSurface, webviewOptions, type Shown, type SurfaceActions } from './resultSurface';

export const PANEL_VIEW_TYPE = 'backwardLens.panel';
export const RESULTS_VIEW_ID = 'backwardLens.resultsView';
export const CUSTOM_EDITOR_VIEW_TYPE = 'backwardLens.resultEditor';

const LIVE: SurfaceCapabilities = { reanalyze: true, reveal: true, save: true };

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

  get current(): Shown | undefined {
    return this.surface?.current;
  }

  get active(): boolean {
    return this.panel?.active === true;
  }

  show(shown: Shown): void {
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
    this.surface!.show(shown);
  }

  /** Called by the serializer after a reload: the page's persisted state holds the result. */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    this.panel?.dispose();
    const show = parsePersistedState(state)?.show;
    this.attach(panel, show ? { result: show.result, origin: show.origin } : undefined);
  }

  private attach(panel: vscode.WebviewPanel, initial?: Shown): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    const surface = new ResultSurface(panel.webview, this.extensionUri, LIVE, this.actions, this.log, initial);
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

export class ResultsViewProvider implements vscode.WebviewViewProvider {
  private surface: ResultSurface | undefined;
  private latest: Shown | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const surface = new ResultSurface(view.webview, this.extensionUri, LIVE, this.actions, this.log, this.latest);
    this.surface = surface;
    view.onDidDispose(() => {
      surface.dispose();
      if (this.surface === surface) this.surface = undefined;
    });
  }

  show(shown: Shown): void {
    this.latest = shown;
    this.surface?.show(shown);
  }
}

class ResultDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly result: BackwardLensResult,
  ) {}
  dispose(): void {}
}

export class ResultEditorProvider implements vscode.CustomReadonlyEditorProvider<ResultDocument> {
  private readonly surfaces = new Map<vscode.WebviewPanel, ResultSurface>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async openCustomDocument(uri: vscode.Uri): Promise<ResultDocument> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    return new ResultDocument(uri, parseResultFile(new TextDecoder().decode(bytes)));
  }

  resolveCustomEditor(document: ResultDocument, panel: vscode.WebviewPanel): void {
    // The file is already saved and its model may not be loaded: show it, nothing more.
    const capabilities: SurfaceCapabilities = { reanalyze: false, reveal: false, save: false };
    const surface = new ResultSurface(panel.webview, this.extensionUri, capabilities, this.actions, this.log, { result: document.result });
    this.surfaces.set(panel, surface);
    panel.onDidDispose(() => {
      surface.dispose();
      this.surfaces.delete(panel);
    });
  }

  /** The result shown in the focused custom editor, if one is focused. */
  activeResult(): BackwardLensResult | undefined {
    for (const [panel, surface] of this.surfaces) if (panel.active) return surface.current?.result;
    return undefined;
  }
}
