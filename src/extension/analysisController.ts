/**
 * The one owner of what the commands and the result surfaces share: the engine (through
 * EngineHost), the surfaces a result is published to, this session's results (ResultHistory),
 * and the active result that Save saves.
 */
import * as vscode from 'vscode';
import type { AnalysisRequest, Engine } from '../engine/api';
import type { HistoryEntry, Reference, ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult, ScoredToken } from '../result/schema';
import { resultLabel } from '../result/view';
import { rerunRequest, rerunResult, type Experiments } from './analysisRequest';
import { onDidChangeSettings, readSettings } from './configuration';
import type { EngineHost } from './engineHost';
import { ResultEditorProvider } from './resultEditor';
import { ResultHistory } from './resultHistory';
import { ResultPanels } from './resultPanel';
import { ResultsViewProvider } from './resultsView';
import { pickResultFile } from './resultFiles';
import type { ResultSurface, Shown, SurfaceActions } from './resultSurface';
import { restoredShown } from './restoredState';
import { revealToken } from './revealToken';
import { saveResult } from './saveResult';
import { withProgress, type Job } from './withProgress';
import { describeDownload } from './engineSteps';
import { EditController } from './editController';

const NOT_KEPT = `That result is no longer kept: this session keeps its latest ${ResultHistory.LIMIT}.`;

export class AnalysisController implements SurfaceActions, vscode.Disposable {
  private readonly panels: ResultPanels;
  readonly resultsView: ResultsViewProvider;
  readonly resultEditor: ResultEditorProvider;
  private readonly history = new ResultHistory<Shown>();
  /** The result last published, or restored into a panel after a reload. */
  private latest: Shown | undefined;
  private readonly subscription: vscode.Disposable;
  readonly edits: EditController;

  /** `onEngineChange` hears when an engine has loaded or been dropped, or a result came in (the status bar shows the provider). */
  constructor(
    extensionUri: vscode.Uri,
    private readonly engines: EngineHost,
    private readonly log: vscode.LogOutputChannel,
    private readonly onEngineChange: () => void,
  ) {
    this.edits = new EditController(engines, (work, onStep, cancel) => this.withEngine(work, onStep, cancel), log);
    this.panels = new ResultPanels(extensionUri, this, log);
    this.resultsView = new ResultsViewProvider(extensionUri, this, log);
    this.resultEditor = new ResultEditorProvider(extensionUri, this, log);
    this.subscription = onDidChangeSettings((engineChanged) => {
      if (engineChanged) this.dropEngine();
    });
  }

  /** The result last analysed or restored: the status bar names the provider it ran on. */
  latestResult(): BackwardLensResult | undefined {
    return this.latest?.result;
  }

  /** Runs a new analysis of the text at `origin` and publishes its result. */
  async analyze(request: AnalysisRequest, origin: ResultOrigin): Promise<BackwardLensResult | undefined> {
    const result = await this.run(request);
    if (result) this.publish(this.keep({ result, origin }));
    return result;
  }

  /** A re-run answers the surface that asked; the main panel and the results view follow unless it came from a kept panel. */
  reanalyze(shown: Shown, normalized: boolean, from: ResultSurface): Promise<Shown | undefined> {
    return this.rerun(shown, normalized, {}, from);
  }

  /** The neuron view or the gradient check, added to `shown` by a re-run that keeps its lens. */
  runExperiments(shown: Shown, added: Experiments, from: ResultSurface): Promise<Shown | undefined> {
    return this.rerun(shown, shown.result.lens.normalized, added, from);
  }

  async reference(historyId: number | undefined): Promise<Reference | undefined> {
    if (historyId === undefined) return pickResultFile(readSettings().resultsFolder);
    const kept = this.history.get(historyId);
    if (!kept) throw new Error(NOT_KEPT);
    return { label: resultLabel(kept.result), result: kept.result };
  }

  private async rerun(shown: Shown, normalized: boolean, added: Experiments, from: ResultSurface): Promise<Shown | undefined> {
    const settings = readSettings();
    const request = rerunRequest(shown.result, normalized, this.engines.resolveModelPath(settings.modelPath), settings.maxTokens, added);
    const result = await this.run(request, (step) => from.busy(step));
    if (!result) return undefined;
    const next = this.keep({ result: rerunResult(result, shown.result), origin: shown.origin });
    if (this.panels.isKept(from)) this.latest = next;
    else this.publish(next, from);
    return next;
  }

  /** How many input positions `text` becomes, and the model's context; undefined when the user cancelled the model load. */
  tokenCount(text: string): Promise<{ tokens: number; contextLength: number } | undefined> {
    return this.withEngine(async (engine) => ({ tokens: await engine.countTokens(text), contextLength: engine.contextLength }));
  }

  /** The model's top-k next tokens after `prompt`; undefined when the user cancelled. */
  predictNext(prompt: string, k: number): Promise<ScoredToken[] | undefined> {
    return this.withEngine((engine, job) => {
      job.report('predicting the next token…');
      return engine.predictNext(prompt, k);
    });
  }

  /**
   * The active result: the one in the focused result tab (a `.blens.json` editor or a panel),
   * else the latest published (a new analysis or a re-run) or restored into a panel.
   */
  private activeResult(): BackwardLensResult | undefined {
    return this.resultEditor.focusedResult() ?? this.panels.focusedResult() ?? this.latest?.result;
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

  open(historyId: number, newPanel: boolean, from: ResultSurface): void {
    const shown = this.history.get(historyId);
    if (!shown) from.fail(NOT_KEPT);
    else if (newPanel) this.panels.openNew(shown);
    else from.show(shown);
  }

  edited(shown: Shown): void {
    if (shown.historyId === undefined) return;
    this.history.replace({ ...shown, historyId: shown.historyId });
    if (this.latest?.historyId === shown.historyId) this.latest = shown;
  }

  historyEntries(): HistoryEntry[] {
    return this.history.entries();
  }

  /** The panel serializer's entry after a reload: the restored result, once validated, counts as the latest. */
  restorePanel(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const restored = restoredShown(state);
    if (restored.problem) this.log.warn(restored.problem);
    const shown = restored.shown && this.keep(restored.shown);
    this.panels.revive(webviewPanel, shown, restored.problem);
    if (shown) this.latest = shown;
    this.onEngineChange();
  }

  /** Adds a result to this session's history and tells every surface that lists it. */
  private keep(shown: Shown): Shown {
    const kept = this.history.keep(shown);
    const entries = this.history.entries();
    for (const surface of this.panels.surfaces()) surface.history(entries);
    this.resultsView.history(entries);
    return kept;
  }

  /** Shows `shown` in the main panel and the results view; `from`, the surface that asked, answers its own request. */
  private publish(shown: Shown, from?: ResultSurface): void {
    this.latest = shown;
    this.panels.show(shown, from);
    this.resultsView.show(shown, from);
    this.onEngineChange();
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
  private withEngine<T>(work: (engine: Engine, job: Job) => Promise<T>, onStep?: (step: string | undefined) => void, cancel?: AbortSignal): Promise<T | undefined> {
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
      cancel,
    );
  }

  private dropEngine(): void {
    void this.engines.dispose();
    this.onEngineChange();
    this.log.info('model settings changed: the next analysis loads the model again');
  }

  dispose(): void {
    this.subscription.dispose();
    this.panels.dispose();
    void this.engines.dispose();
  }
}
