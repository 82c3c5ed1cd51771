/**
 * Entry point: commands, the status bar model picker, the three result surfaces and the
 * cached engine. Everything that does not need the VS Code API lives in plain modules
 * (settings, engineHost, tokenRanges, src/report) so it is testable without an editor.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXECUTION_PROVIDER_CHOICES, type AnalysisRequest, type Engine } from '../engine/api';
import type { ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult, LossMode } from '../result/schema';
import { EngineHost, type EngineKey } from './engineHost';
import { CUSTOM_EDITOR_VIEW_TYPE, PANEL_VIEW_TYPE, RESULTS_VIEW_ID, ResultEditorProvider, ResultPanel, ResultsViewProvider } from './panel';
import type { Shown, SurfaceActions } from './resultSurface';
import { saveResult } from './save';
import { ENGINE_SETTINGS, parseAnalyzeArgs, parseSettings, type Settings } from './settings';
import { tokenRanges } from './tokenRanges';

const SECTION = 'backwardLens';

function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return parseSettings((key) => config.get(key));
}

const engineKey = (s: Settings): EngineKey => ({ modelPath: s.modelPath, executionProvider: s.executionProvider });

class Cancelled extends Error {}

/**
 * Rejects as soon as the user presses Cancel. An analysis also gets an AbortSignal and stops at
 * its next block boundary; a model load finishes in the background (its session is reused).
 */
function untilCancelled<T>(work: Promise<T>, token: vscode.CancellationToken): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const sub = token.onCancellationRequested(() => reject(new Cancelled()));
    work.then(resolve, reject).finally(() => sub.dispose());
  });
}

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Backward Lens', { log: true });
  const engines = new EngineHost(context.extensionUri.fsPath, (line) => log.info(line), path.join(context.globalStorageUri.fsPath, 'cache'));
  const status = vscode.window.createStatusBarItem('backwardLens.model', vscode.StatusBarAlignment.Right, 100);
  status.name = 'Backward Lens Model';
  status.command = 'backwardLens.selectModel';
  let loaded: Engine | undefined;
  let latest: Shown | undefined;

  const updateStatus = (): void => {
    const s = readSettings();
    const provider = loaded && engines.has(engineKey(s)) ? loaded.executionProvider.toUpperCase() : s.executionProvider;
    status.text = `$(pulse) ${engines.describe(engineKey(s))} · ${provider}`;
    status.tooltip = new vscode.MarkdownString(
      `**Backward Lens model**\n\n${engines.resolveModelPath(s.modelPath)}\n\nExecution provider: ${provider}` +
        (loaded?.executionProviderNote ? ` (${loaded.executionProviderNote})` : '') +
        '\n\nClick to choose another model.',
    );
    status.show();
  };

  /** Loads (or reuses) the engine and runs `work` on it inside one cancellable notification. */
  async function withEngine<T>(
    title: string,
    work: (engine: Engine, report: (step: string) => void, signal: AbortSignal) => Promise<T>,
    onStep?: (step: string | undefined) => void,
  ): Promise<T | undefined> {
    const settings = readSettings();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          const report = (step: string): void => {
            progress.report({ message: step });
            onStep?.(step);
          };
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const key = engineKey(settings);
          if (!engines.has(key)) report(`loading ${engines.describe(key)}…`);
          const engine = await untilCancelled(engines.get(key), token);
          loaded = engine;
          updateStatus();
          return await untilCancelled(work(engine, report, abort.signal), token);
        },
      );
    } catch (err) {
      if (err instanceof Cancelled) {
        log.info(`${title}: cancelled`);
        return undefined;
      }
      const message = err instanceof Error ? err.message : String(err);
      log.error(`${title}: ${err instanceof Error && err.stack ? err.stack : message}`);
      void vscode.window.showErrorMessage(`Backward Lens: ${message}`, 'Show Log').then((choice) => {
        if (choice) log.show(true);
      });
      throw err;
    } finally {
      onStep?.(undefined);
    }
  }

  async function runAnalysis(request: AnalysisRequest, engine: Engine, report: (step: string) => void, signal: AbortSignal): Promise<BackwardLensResult> {
    report(`analyzing ${request.lossMode === 'text' ? 'training text' : 'prompt'}…`);
    const started = Date.now();
    const result = await engine.analyze(request, { signal });
    log.info(
      `analyzed ${result.tokens.length} tokens (${result.lossMode}, target ${JSON.stringify(result.target)}) on ${result.executionProvider}: ` +
        `loss ${result.loss.toFixed(4)}, compile ${Math.round(result.timings.compileMs)} ms, run ${Math.round(result.timings.runMs)} ms, total ${Date.now() - started} ms`,
    );
    return result;
  }

  function publish(shown: Shown): void {
    latest = shown;
    panel.show(shown);
    resultsView.show(shown);
  }

  const actions: SurfaceActions = {
    save: (result) => saveCommand(result),
    async reanalyze(shown, normalized, onStep) {
      const settings = readSettings();
      const active = engines.resolveModelPath(settings.modelPath);
      const source = path.resolve(shown.result.model.source);
      // The engine reports the weight file; the setting may name its folder.
      if (source !== active && path.dirname(source) !== active) {
        throw new Error(`This result came from ${shown.result.model.source}; the active model is ${active}. Select that model to re-run it.`);
      }
      const { result: r } = shown;
      const request: AnalysisRequest = { prompt: r.prompt, target: r.target, lossMode: r.lossMode, topK: r.lens.topK, normalized, projection: r.lens.projection, matmuls: r.matmuls, maxTokens: settings.maxTokens };
      const result = await withEngine('Backward Lens', (engine, report, signal) => runAnalysis(request, engine, report, signal), onStep);
      if (!result) return undefined;
      const next = { result, origin: shown.origin };
      latest = next;
      resultsView.show(next);
      return next;
    },
    async reveal(shown, position) {
      const origin = shown.origin;
      const range = origin && tokenRanges(shown.result.prompt, shown.result.tokens)[position];
      if (!origin || !range) return;
      const uri = vscode.Uri.parse(origin.uri);
      const document = await vscode.workspace.openTextDocument(uri);
      const selection = new vscode.Range(document.positionAt(origin.offset + range.start), document.positionAt(origin.offset + range.end));
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === origin.uri);
      const editor = await vscode.window.showTextDocument(document, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection });
      editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    },
  };

  const panel = new ResultPanel(context.extensionUri, actions, log);
  const resultsView = new ResultsViewProvider(context.extensionUri, actions, log);
  const resultEditor = new ResultEditorProvider(context.extensionUri, actions, log);

  async function analyzeCommand(asText: boolean, rawArg: unknown): Promise<BackwardLensResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    const prompt = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
    if (!editor || !prompt.trim()) {
      void vscode.window.showWarningMessage('Backward Lens: select the text to analyze first.');
      return undefined;
    }
    const origin: ResultOrigin = { uri: editor.document.uri.toString(), offset: editor.document.offsetAt(editor.selection.start) };
    const settings = readSettings();
    const lossMode: LossMode = asText ? 'text' : settings.lossMode;
    let target = parseAnalyzeArgs(rawArg).target;

    if (lossMode !== 'text' && target === undefined) {
      const predicted = await withEngine('Backward Lens', async (engine, report) => {
        report('predicting the next token…');
        return engine.predictNext(prompt, settings.topK);
      });
      if (!predicted) return undefined;
      const top = predicted[0]?.text ?? '';
      target = await vscode.window.showInputBox({
        title: 'Backward Lens: target',
        prompt: `The continuation whose loss is backpropagated. The model predicts: ${predicted
          .map((p) => `${JSON.stringify(p.text)} ${(p.prob * 100).toFixed(1)}%`)
          .join(', ')}`,
        value: top,
        valueSelection: [0, top.length],
        validateInput: (v) => (v.length === 0 ? 'Enter a target (a leading space usually matters).' : undefined),
        ignoreFocusOut: true,
      });
      if (target === undefined) return undefined;
    }

    const request: AnalysisRequest = { prompt, target: target ?? '', lossMode, topK: settings.topK, projection: settings.projection, matmuls: settings.matmuls, maxTokens: settings.maxTokens };
    const result = await withEngine('Backward Lens', (engine, report, signal) => runAnalysis(request, engine, report, signal));
    if (result) publish({ result, origin });
    return result;
  }

  async function saveCommand(result?: BackwardLensResult): Promise<vscode.Uri | undefined> {
    const toSave =
      result ?? resultEditor.activeResult() ?? (panel.active ? panel.current?.result : undefined) ?? latest?.result ?? panel.current?.result;
    if (!toSave) {
      void vscode.window.showWarningMessage('Backward Lens: there is no result to save yet.');
      return undefined;
    }
    const uri = await saveResult(toSave, readSettings().resultsFolder);
    if (uri) {
      log.info(`saved ${uri.fsPath || uri.toString()}`);
      void vscode.window.showInformationMessage(`Backward Lens: saved ${vscode.workspace.asRelativePath(uri)}`, 'Open Report').then((choice) => {
        if (choice) void vscode.commands.executeCommand('markdown.showPreview', uri.with({ path: uri.path.replace(/\.blens\.json$/, '.md') }));
      });
    }
    return uri;
  }

  async function selectModel(): Promise<void> {
    const settings = readSettings();
    type Item = vscode.QuickPickItem & { run: () => Promise<string | undefined | null> };
    const embedded = engines.resolveModelPath('');
    const items: Item[] = [
      {
        label: '$(package) Embedded stories260K',
        description: settings.modelPath ? undefined : 'active',
        detail: embedded,
        run: async () => '',
      },
      {
        label: '$(folder-opened) Browse for a model folder…',
        detail: 'llama2.c or Hugging Face (safetensors + tokenizer.json) folder',
        run: async () => (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Model folder' }))?.[0]?.fsPath ?? null,
      },
      {
        label: '$(file) Browse for a model file…',
        detail: 'a single checkpoint file',
        run: async () => (await vscode.window.showOpenDialog({ canSelectFolders: false, canSelectFiles: true, title: 'Model file' }))?.[0]?.fsPath ?? null,
      },
    ];
    if (settings.modelPath) items.unshift({ label: `$(check) ${path.basename(settings.modelPath)}`, description: 'active', detail: settings.modelPath, run: async () => null });
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, run: async () => null });
    items.push({
      label: `$(server-process) Execution provider: ${settings.executionProvider}`,
      detail: 'auto uses CUDA when onnxruntime-node has it, else the CPU',
      run: async () => {
        const choice = await vscode.window.showQuickPick([...EXECUTION_PROVIDER_CHOICES], { title: 'Execution provider', placeHolder: settings.executionProvider });
        if (choice) await updateSetting('executionProvider', choice);
        return null;
      },
    });
    const picked = await vscode.window.showQuickPick(items, { title: 'Backward Lens: model', matchOnDetail: true });
    const modelPath = picked ? await picked.run() : null;
    if (modelPath !== null && modelPath !== undefined) await updateSetting('modelPath', modelPath);
  }

  /** Writes where the value is currently defined, so a workspace setting is not silently shadowed. */
  async function updateSetting(key: keyof Settings, value: string): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspected = config.inspect(key);
    const target = inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
  }

  context.subscriptions.push(
    log,
    status,
    panel,
    { dispose: () => void engines.dispose() },
    vscode.commands.registerCommand('backwardLens.analyzeSelection', (arg?: unknown) => analyzeCommand(false, arg)),
    vscode.commands.registerCommand('backwardLens.analyzeSelectionAsText', () => analyzeCommand(true, undefined)),
    vscode.commands.registerCommand('backwardLens.saveResult', () => saveCommand()),
    vscode.commands.registerCommand('backwardLens.selectModel', selectModel),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel, state) => panel.revive(webviewPanel, state),
    }),
    vscode.window.registerWebviewViewProvider(RESULTS_VIEW_ID, resultsView),
    vscode.window.registerCustomEditorProvider(CUSTOM_EDITOR_VIEW_TYPE, resultEditor, {
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (ENGINE_SETTINGS.some((key) => e.affectsConfiguration(`${SECTION}.${key}`))) {
        loaded = undefined;
        void engines.dispose();
        log.info('model settings changed: the next analysis loads the model again');
      }
      if (e.affectsConfiguration(SECTION)) updateStatus();
    }),
  );
  updateStatus();
}

export function deactivate(): void {}
