/**
 * The one owner of what the commands and the result surfaces share: the engine (through
 * EngineHost), the surfaces a result is published to, and the active result that Save saves.
 */
import * as vscode from 'vscode';
import type { AnalysisRequest, Engine } from '../engine/api';
import type { ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult, ScoredToken } from '../result/schema';
import { rerunRequest } from './analysisRequest';
import { onDidChangeSettings, readSettings } from './configuration';
import type { EngineHost } from './engineHost';
import { ResultEditorProvider } from './resultEditor';
import { ResultPanel } from './resultPanel';
import { ResultsViewProvider } from './resultsView';
import type { ResultSurface, Shown, SurfaceActions } from './resultSurface';
import { revealToken } from './revealToken';
import { saveResult } from './saveResult';
import { withProgress, type Job } from './withProgress';
import { describeDownload } from './engineSteps';

export class AnalysisController implements SurfaceActions, vscode.Disposable {
  private readonly panel: ResultPanel;
  readonly resultsView: ResultsViewProvider;
  readonly resultEditor: ResultEditorProvider;
  /** The result last published, or restored into the panel after a reload. */
  private latest: Shown | undefined;
  private readonly subscription: vscode.Disposable;

  /** `onEngineChange` hears when an engine has loaded or been dropped (the status bar shows which). */
  constructor(
    extensionUri: vscode.Uri,
    private readonly engines: EngineHost,
    private readonly log: vscode.LogOutputChannel,
    private readonly onEngineChange: () => void,
  ) {
    this.panel = new ResultPanel(extensionUri, this, log);
    this.resultsView = new ResultsViewProvider(extensionUri, this, log);
    this.resultEditor = new ResultEditorProvider(extensionUri, this, log);
    this.subscription = onDidChangeSettings((engineChanged) => {
      if (engineChanged) this.dropEngine();
    });
  }

  /** Runs a new analysis of the text at `origin` and publishes its result. */
  async analyze(request: AnalysisRequest, origin: ResultOrigin): Promise<BackwardLensResult | undefined> {
    const result = await this.run(request);
    if (result) this.publish({ result, origin });
    return result;
  }

  async reanalyze(shown: Shown, normalized: boolean, from: ResultSurface): Promise<Shown | undefined> {
    const settings = readSettings();
    const request = rerunRequest(shown.result, normalized, this.engines.resolveModelPath(settings.modelPath), settings.maxTokens);
    const result = await this.run(request, (step) => from.busy(step));
    if (!result) return undefined;
    const next = { result, origin: shown.origin };
    this.publish(next, from);
    return next;
  }

  /** The model's top-k next tokens after `prompt`; undefined when the user cancelled. */
  predictNext(prompt: string, k: number): Promise<ScoredToken[] | undefined> {
    return this.withEngine((engine, job) => {
      job.report('predicting the next token…');
      return engine.predictNext(prompt, k);
    });
  }

  /**
   * The active result: the one in the focused result tab (a `.blens.json` editor or the panel),
   * else the latest published (a new analysis or a re-run) or restored into the panel.
   */
  private activeResult(): BackwardLensResult | undefined {
    return this.resultEditor.focusedResult() ?? this.panel.focusedResult() ?? this.latest?.result;
  }

  /** Saves `result` (a surface's Save button passes its own), else the active result. */
  async save(result = this.activeResult()): Promise<vscode.Uri | undefined> {
    if (!result) {
      void vscode.window.showWarningMessage('Backward Lens: there is no result to save yet.');
      return undefined;
    }
    return saveResult(result, readSettings().resultsFolder, this.log);
  }

  reveal(shown: Shown, position: number): Promise<void> {
    return revealToken(shown, position);
  }

  /** The panel serializer's entry after a reload: the restored result counts as the latest. */
  restorePanel(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    this.latest = this.panel.revive(webviewPanel, state) ?? this.latest;
  }

  /** Shows `shown` in the panel and the results view; `from`, the surface that asked, answers its own request. */
  private publish(shown: Shown, from?: ResultSurface): void {
    this.latest = shown;
    this.panel.show(shown, from);
    this.resultsView.show(shown, from);
  }

  private run(request: AnalysisRequest, onStep?: (step: string | undefined) => void): Promise<BackwardLensResult | undefined> {
    return this.withEngine(async (engine, job) => {
      // Shown until the engine reports its own steps (and all along with an engine that does not).
      job.report(`analyzing ${request.lossMode === 'text' ? 'training text' : 'prompt'}…`);
      const started = Date.now();
      const result = await engine.analyze(request, job.control);
      this.log.info(
        `analyzed ${result.tokens.length} tokens (${result.lossMode}, target ${JSON.stringify(result.target)}) on ${result.executionProvider}: ` +
          `loss ${result.loss.toFixed(4)}, compile ${Math.round(result.timings.compileMs)} ms, run ${Math.round(result.timings.runMs)} ms, total ${Date.now() - started} ms`,
      );
      return result;
    }, onStep);
  }

  /** Loads (or reuses) the engine the settings name and runs `work` on it inside one notification. */
  private withEngine<T>(work: (engine: Engine, job: Job) => Promise<T>, onStep?: (step: string | undefined) => void): Promise<T | undefined> {
    const settings = readSettings();
    return withProgress(
      this.log,
      async (job) => {
        if (!this.engines.has(settings)) job.report(`loading ${this.engines.describe(settings)}…`);
        const engine = await this.engines.get(settings, { signal: job.control.signal, onProgress: (progress) => job.report(describeDownload(progress).message) });
        this.onEngineChange();
        // Cancelled during the load: the engine stays loaded for next time, the work does not start.
        job.control.signal.throwIfAborted();
        return work(engine, job);
      },
      onStep,
    );
  }

  private dropEngine(): void {
    void this.engines.dispose();
    this.onEngineChange();
    this.log.info('model settings changed: the next analysis loads the model again');
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel.dispose();
    void this.engines.dispose();
  }
}
