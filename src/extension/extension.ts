/**
 * Entry point: registers the commands, the three result surfaces and the status bar. The work
 * lives in one file per job; what needs no VS Code API (settings, requests, engine steps, token
 * ranges, src/report) is in plain modules, testable without an editor.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnalysisController } from './analysisController';
import { analyzeSelection } from './analyzeSelection';
import { readSettings } from './configuration';
import { EngineHost } from './engineHost';
import { extensionHubOptions } from './hubSettings';
import { HubToken } from './hubToken';
import { CUSTOM_EDITOR_VIEW_TYPE } from './resultEditor';
import { PANEL_VIEW_TYPE } from './resultPanel';
import { RESULTS_VIEW_ID } from './resultsView';
import { selectModel } from './selectModel';
import { ModelStatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Backward Lens', { log: true });
  const token = new HubToken(context.secrets);
  const hub = async () => extensionHubOptions(readSettings().hubOffline, await token.get());
  const engines = new EngineHost({ extensionRoot: context.extensionUri.fsPath, log: (line) => log.info(line), cacheDir: path.join(context.globalStorageUri.fsPath, 'cache'), hub });
  // The controller calls back only after activation, once `status` exists.
  const controller = new AnalysisController(context.extensionUri, engines, log, () => status.update());
  const status = new ModelStatusBar(engines, () => controller.latestResult());

  context.subscriptions.push(
    log,
    status,
    controller,
    vscode.commands.registerCommand('backwardLens.analyzeSelection', (arg?: unknown) => analyzeSelection(controller, false, arg)),
    vscode.commands.registerCommand('backwardLens.analyzeSelectionAsText', () => analyzeSelection(controller, true, undefined)),
    vscode.commands.registerCommand('backwardLens.saveResult', () => controller.save()),
    vscode.commands.registerCommand('backwardLens.selectModel', () => selectModel(engines, hub)),
    vscode.commands.registerCommand('backwardLens.setHubToken', () => token.ask()),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel, state) => controller.restorePanel(webviewPanel, state),
    }),
    vscode.window.registerWebviewViewProvider(RESULTS_VIEW_ID, controller.resultsView),
    vscode.window.registerCustomEditorProvider(CUSTOM_EDITOR_VIEW_TYPE, controller.resultEditor, { supportsMultipleEditorsPerDocument: true }),
  );
}

export function deactivate(): void {}
