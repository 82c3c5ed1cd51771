/**
 * The editor-side panels. New analyses go to the main panel, reused across analyses; "open in
 * a new panel" adds panels that later analyses leave alone, so two results can stay side by
 * side. All of them come back after a window reload from the results their pages persisted.
 */
import * as vscode from 'vscode';
import type { BackwardLensResult } from '../result/schema';
import { LIVE_CAPABILITIES, ResultSurface, webviewOptions, type Shown, type SurfaceActions } from './resultSurface';

export const PANEL_VIEW_TYPE = 'backwardLens.panel';

function panelTitle(result: BackwardLensResult): string {
  const prompt = result.prompt.replace(/\s+/g, ' ').trim();
  return `Backward Lens: ${prompt.length > 28 ? `${prompt.slice(0, 27)}…` : prompt}`;
}

interface Entry {
  panel: vscode.WebviewPanel;
  surface: ResultSurface;
}

export class ResultPanels implements vscode.Disposable {
  private main: Entry | undefined;
  private readonly kept = new Set<Entry>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The result of the panel that is the active editor, if one is. */
  focusedResult(): BackwardLensResult | undefined {
    return this.entries().find((e) => e.panel.active)?.surface.current?.result;
  }

  /** Every panel's surface, main first. */
  surfaces(): ResultSurface[] {
    return this.entries().map((e) => e.surface);
  }

  /** Whether `surface` is a panel that new analyses leave alone. */
  isKept(surface: ResultSurface | undefined): boolean {
    return [...this.kept].some((e) => e.surface === surface);
  }

  /** Shows `shown` in the main panel, opening it beside the editor if it is closed; `from` already shows it. */
  show(shown: Shown, from?: ResultSurface): void {
    this.main ??= this.open(shown, 'main');
    this.main.panel.reveal(undefined, true);
    this.main.panel.title = panelTitle(shown.result);
    if (this.main.surface !== from) this.main.surface.show(shown);
  }

  /** Shows `shown` in a panel of its own. */
  openNew(shown: Shown): void {
    const entry = this.open(shown, 'kept');
    entry.surface.show(shown);
  }

  /** Called by the serializer after a reload, with the restored result (validated) or why there is none. */
  revive(panel: vscode.WebviewPanel, shown: Shown | undefined, problem: string | undefined): void {
    const entry = this.attach(panel, this.main ? 'kept' : 'main', shown);
    if (problem) entry.surface.fail(problem);
  }

  private open(shown: Shown, role: 'main' | 'kept'): Entry {
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      panelTitle(shown.result),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(this.extensionUri),
    );
    return this.attach(panel, role);
  }

  private attach(panel: vscode.WebviewPanel, role: 'main' | 'kept', initial?: Shown): Entry {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    const entry = { panel, surface: new ResultSurface(panel.webview, this.extensionUri, LIVE_CAPABILITIES, this.actions, this.log, initial) };
    if (role === 'main') this.main = entry;
    else this.kept.add(entry);
    panel.onDidDispose(() => {
      entry.surface.dispose();
      if (this.main === entry) this.main = undefined;
      this.kept.delete(entry);
    });
    return entry;
  }

  private entries(): Entry[] {
    return [...(this.main ? [this.main] : []), ...this.kept];
  }

  dispose(): void {
    for (const e of this.entries()) e.panel.dispose();
  }
}
