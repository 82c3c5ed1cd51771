/** The status bar item: which model and provider the next analysis uses; a click picks another. */
import * as vscode from 'vscode';
import { onDidChangeSettings, readSettings } from './configuration';
import type { EngineHost } from './engineHost';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('backwardLens.model', vscode.StatusBarAlignment.Right, 100);
  private readonly subscription = onDidChangeSettings(() => this.update());

  constructor(private readonly engines: EngineHost) {
    this.item.name = 'Backward Lens Model';
    this.item.command = 'backwardLens.selectModel';
    this.update();
    this.item.show();
  }

  /** Before the model loads it shows the provider setting; after, the provider in use and why. */
  update(): void {
    const settings = readSettings();
    const engine = this.engines.loaded(settings);
    const provider = engine ? engine.executionProvider.toUpperCase() : settings.executionProvider;
    this.item.text = `$(pulse) ${this.engines.describe(settings)} · ${provider}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**Backward Lens model**\n\n${this.engines.resolveModelPath(settings.modelPath)}\n\nExecution provider: ${provider}` +
        (engine?.executionProviderNote ? ` (${engine.executionProviderNote})` : '') +
        '\n\nClick to choose another model.',
    );
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
