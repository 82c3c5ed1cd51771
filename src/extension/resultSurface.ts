/**
 * Connects one webview (panel, panel-area view or custom editor) to the shared UI: serves the
 * page, waits for the UI's `ready` before sending (a webview still loading, or one hidden and
 * discarded, drops messages), and routes the UI's requests to the host.
 */
import * as vscode from 'vscode';
import {
  parseWebviewMessage,
  type EditRunRequest,
  type HistoryEntry,
  type HostToWebview,
  type Reference,
  type ResultOrigin,
  type ShowMessage,
  type SurfaceCapabilities,
  type SweepRunRequest,
} from '../protocol/messages';
import { resultWithEdits } from '../result/savedEdits';
import type { BackwardLensResult } from '../result/schema';
import type { EditActions } from './editController';
import type { Experiments } from './analysisRequest';
import { webviewHtml } from './html';
import { restoredReference } from './restoredState';
import { savedLabel } from './saveResult';

export interface Shown {
  result: BackwardLensResult;
  origin?: ResultOrigin;
  /** Its entry in the controller's ResultHistory. */
  historyId?: number;
}

/** What surfaces ask of the extension; implemented once, by the AnalysisController. */
export interface SurfaceActions {
  save(result: BackwardLensResult): Promise<vscode.Uri | undefined>;
  /** Re-runs `shown` for `from`, which hears its steps and answers its own request with the result. */
  reanalyze(shown: Shown, normalized: boolean, from: ResultSurface): Promise<Shown | undefined>;
  reveal(shown: Shown, position: number): Promise<void>;
  /** Shows a result of this session in `from`, or in a new panel. */
  open(historyId: number, newPanel: boolean, from: ResultSurface): void;
  /** This session's results, for the page's list. */
  historyEntries(): HistoryEntry[];
  /** The edit preview's runs. */
  readonly edits: EditActions;
  /** `shown` gained edits in a surface: it replaces the kept result it came from. */
  edited(shown: Shown): void;
  /** Re-runs `shown` for `from` with the paper's experiments added, as `reanalyze` does. */
  runExperiments(shown: Shown, added: Experiments, from: ResultSurface): Promise<Shown | undefined>;
  /** A result to compare with: one of this session's, else (no historyId) a saved file the user picks; undefined when dismissed. */
  reference(historyId: number | undefined): Promise<Reference | undefined>;
}

/** The panels and the results view: everything works there. */
export const LIVE_CAPABILITIES: SurfaceCapabilities = { reanalyze: true, reveal: true, save: true, history: true, edit: true };

/** Only the bundle folder is readable by the page. */
export function bundleRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [bundleRoot(extensionUri)] };
}

export class ResultSurface implements vscode.Disposable {
  private ready = false;
  private shown: Shown | undefined;
  /** Why nothing is shown (a restored result that failed validation), said once the page is ready. */
  private problem: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    extensionUri: vscode.Uri,
    private readonly capabilities: SurfaceCapabilities,
    private readonly actions: SurfaceActions,
    private readonly log: vscode.LogOutputChannel,
    initial?: Shown,
  ) {
    this.shown = initial;
    webview.options = webviewOptions(extensionUri);
    const root = bundleRoot(extensionUri);
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.css')).toString(),
      title: 'Backward Lens',
    });
    this.subscription = webview.onDidReceiveMessage((raw) => this.onMessage(raw));
  }

  get current(): Shown | undefined {
    return this.shown;
  }

  show(shown: Shown, requestId?: number): void {
    this.shown = shown;
    this.problem = undefined;
    if (this.ready) this.post(this.showMessage(shown, requestId));
  }

  /** Shows `problem` instead of a result. */
  fail(problem: string): void {
    this.problem = problem;
    if (this.ready) this.post({ type: 'error', message: problem });
  }

  /** Lists this session's results in the page, where the surface keeps them. */
  history(entries: HistoryEntry[]): void {
    if (this.ready && this.capabilities.history) this.post({ type: 'history', entries });
  }

  /** Shows the running step in the page, or that the host is idle again. */
  busy(step: string | undefined): void {
    this.post({ type: 'busy', step });
  }

  private showMessage(shown: Shown, requestId?: number): ShowMessage {
    return { type: 'show', result: shown.result, origin: shown.origin, capabilities: this.capabilities, historyId: shown.historyId, requestId };
  }

  private post(message: HostToWebview): void {
    void this.webview.postMessage(message);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseWebviewMessage(raw);
    if (!message) return;
    const shown = this.shown;
    try {
      switch (message.type) {
        case 'ready':
          this.ready = true;
          this.history(this.actions.historyEntries());
          if (shown) this.post(this.showMessage(shown));
          else if (this.problem) this.post({ type: 'error', message: this.problem });
          if (shown && message.reference) this.restoreCompare(message.reference);
          return;
        case 'open':
          if (this.capabilities.history) this.actions.open(message.historyId, message.newPanel, this);
          return;
        case 'save': {
          if (!shown || !this.capabilities.save) return;
          const uri = await this.actions.save(shown.result);
          if (uri) this.post({ type: 'saved', label: savedLabel(uri), requestId: message.requestId });
          else this.post({ type: 'error', message: 'Not saved.', requestId: message.requestId });
          return;
        }
        case 'reanalyze': {
          if (!shown || !this.capabilities.reanalyze) return;
          this.answerRun(await this.actions.reanalyze(shown, message.normalized, this), message.requestId);
          return;
        }
        case 'reveal':
          if (shown && this.capabilities.reveal) await this.actions.reveal(shown, message.position);
          return;
        case 'edit':
        case 'sweep':
          if (shown && this.capabilities.edit) await this.runEdit(shown, message);
          return;
        case 'cancel':
          this.actions.edits.cancel(this);
          return;
        case 'experiment': {
          if (!shown || !this.capabilities.reanalyze) return;
          const { neurons, check } = message;
          this.answerRun(await this.actions.runExperiments(shown, { ...(neurons ? { neurons } : {}), ...(check ? { check } : {}) }, this), message.requestId);
          return;
        }
        case 'compare': {
          // Only surfaces that list this session's results may name one; any may pick a file.
          if (message.historyId !== undefined && !this.capabilities.history) return;
          const reference = await this.actions.reference(message.historyId);
          if (reference) this.post({ type: 'reference', ...reference, requestId: message.requestId });
          else this.post({ type: 'error', message: 'Nothing to compare with was chosen.', requestId: message.requestId });
          return;
        }
      }
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.log.error(`${message.type} failed: ${err instanceof Error && err.stack ? err.stack : text}`);
      this.post({ type: 'error', message: text, requestId: 'requestId' in message ? message.requestId : undefined });
    }
  }

  /** Runs an edit or a sweep on `shown` and keeps it with the result, which Save then saves. */
  private async runEdit(shown: Shown, message: EditRunRequest | SweepRunRequest): Promise<void> {
    const { edits } = this.actions;
    const runs = message.type === 'edit' ? await edits.edit(shown.result, message.choice, this) : await edits.sweep(shown.result, message.choice, this);
    if (!runs) this.post({ type: 'error', message: 'Cancelled.', requestId: message.requestId });
    else if (this.shown !== shown) this.post({ type: 'error', message: 'Another result was shown while the edit ran: run it again on this one.', requestId: message.requestId });
    else {
      this.shown = { ...shown, result: resultWithEdits(shown.result, runs) };
      this.actions.edited(this.shown);
      this.post({ type: 'edited', edits: runs, requestId: message.requestId });
    }
  }

  /** Draws a reloaded page's compare view again once its reference is validated; one that fails is said and dropped. */
  private restoreCompare(persisted: Reference): void {
    const restored = restoredReference(persisted);
    if ('reference' in restored) {
      this.post({ type: 'reference', ...restored.reference });
      return;
    }
    this.log.warn(restored.problem);
    this.post({ type: 'error', message: restored.problem });
  }

  /** A re-run's answer: its result, or that the user cancelled it. */
  private answerRun(next: Shown | undefined, requestId: number): void {
    if (next) this.show(next, requestId);
    else this.post({ type: 'error', message: 'Cancelled.', requestId });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
