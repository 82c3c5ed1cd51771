/** The status bar item: which model the next analysis uses and the provider that ran it; a click picks another. */
import * as vscode from 'vscode';
import type { BackwardLensResult } from '../result/schema';
import { isFromModel } from './analysisRequest';
import { onDidChangeSettings, readSettings } from './configuration';
import type { EngineHost } from './engineHost';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('backwardLens.model', vscode.StatusBarAlignment.Right, 100);
  private readonly subscription = onDidChangeSettings(() => this.update());

  /** `latestResult`: the last result analysed or restored, which names the provider it ran on even before the model loads again. */
  constructor(
    private readonly engines: EngineHost,
    private readonly latestResult: () => BackwardLensResult | undefined,
  ) {
    this.item.name = 'Backward Lens Model';
    this.item.command = 'backwardLens.selectModel';
    this.update();
    this.item.show();
  }

  /** The provider that ran: the loaded engine's, else the latest result's on this model; the setting only until either exists. */
  update(): void {
    const settings = readSettings();
    const modelPath = this.engines.resolveModelPath(settings.modelPath);
    const result = this.latestResult();
    const ran = this.engines.loaded(settings) ?? (result && isFromModel(result, modelPath) ? result : undefined);
    const provider = ran ? ran.executionProvider.toUpperCase() : `${settings.executionProvider} (not run yet)`;
    this.item.text = `$(pulse) ${this.engines.describe(settings)} · ${ran ? provider : settings.executionProvider}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**Backward Lens model**\n\n${modelPath}\n\nExecution provider: ${provider}` +
        (ran?.executionProviderNote ? `\n\nCUDA did not run: ${ran.executionProviderNote}` : '') +
        '\n\nClick to choose another model.',
    );
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
