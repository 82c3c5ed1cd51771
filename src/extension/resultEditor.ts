/** The read-only custom editor for `*.blens.json` files: a saved result, shown as it was. */
import * as vscode from 'vscode';
import type { SurfaceCapabilities } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { readResultFile } from './resultFiles';
import { ResultSurface, type SurfaceActions } from './resultSurface';

export const CUSTOM_EDITOR_VIEW_TYPE = 'backwardLens.resultEditor';

/** The file is already saved and its model may not be loaded: show it, and run edits only where its model is loaded (EditActions.canEdit). */
const READ_ONLY: SurfaceCapabilities = { reanalyze: false, reveal: false, save: false, history: false };

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
    return new ResultDocument(uri, await readResultFile(uri));
  }

  resolveCustomEditor(document: ResultDocument, panel: vscode.WebviewPanel): void {
    const capabilities = { ...READ_ONLY, edit: this.actions.edits.canEdit(document.result) };
    const surface = new ResultSurface(panel.webview, this.extensionUri, capabilities, this.actions, this.log, { result: document.result });
    this.surfaces.set(panel, surface);
    panel.onDidDispose(() => {
      surface.dispose();
      this.surfaces.delete(panel);
    });
  }

  /** The result in the focused custom editor, if one is focused. */
  focusedResult(): BackwardLensResult | undefined {
    for (const [panel, surface] of this.surfaces) if (panel.active) return surface.current?.result;
    return undefined;
  }
}
