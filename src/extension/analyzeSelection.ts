/**
 * `backwardLens.analyzeSelection` and `…AsText`: the editor's selection becomes the prompt (or
 * the training text), its length is checked against the token limit, the target comes from the
 * argument or an input box pre-filled with the model's prediction, and the controller runs and
 * publishes the analysis.
 */
import * as vscode from 'vscode';
import type { ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import type { AnalysisController } from './analysisController';
import { analysisRequest } from './analysisRequest';
import { readSettings } from './configuration';
import { lengthProblem } from './lengthLimit';
import { parseAnalyzeArgs } from './settings';

/** `asText` analyses the selection as training text (no target); `rawArg` may carry `{target}`. */
export async function analyzeSelection(controller: AnalysisController, asText: boolean, rawArg: unknown): Promise<BackwardLensResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  const prompt = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  if (!editor || !prompt.trim()) {
    void vscode.window.showWarningMessage('Backward Lens: select the text to analyze first.');
    return undefined;
  }
  const origin: ResultOrigin = { uri: editor.document.uri.toString(), offset: editor.document.offsetAt(editor.selection.start) };
  const settings = readSettings();
  const lossMode = asText ? 'text' : settings.lossMode;
  // Before the target box: a selection that is too long is refused before the user types a target for it.
  const length = await controller.tokenCount(prompt);
  if (!length) return undefined;
  const problem = lengthProblem(length.tokens, settings.maxTokens, length.contextLength);
  if (problem) {
    void vscode.window.showWarningMessage(`Backward Lens: ${problem}`);
    return undefined;
  }
  let target = parseAnalyzeArgs(rawArg).target;
  if (lossMode !== 'text' && target === undefined) {
    target = await askTarget(controller, prompt, settings.topK);
    if (target === undefined) return undefined;
  }
  return controller.analyze(analysisRequest(settings, { prompt, target: target ?? '', lossMode }), origin);
}

/** The input box for the target, pre-filled with the model's most likely next token; undefined when dismissed. */
async function askTarget(controller: AnalysisController, prompt: string, topK: number): Promise<string | undefined> {
  const predicted = await controller.predictNext(prompt, topK);
  if (!predicted) return undefined;
  const top = predicted[0]?.text ?? '';
  return vscode.window.showInputBox({
    title: 'Backward Lens: target',
    prompt: `The continuation whose loss is backpropagated. The model predicts: ${predicted
      .map((p) => `${JSON.stringify(p.text)} ${(p.prob * 100).toFixed(1)}%`)
      .join(', ')}`,
    value: top,
    valueSelection: [0, top.length],
    validateInput: (v) => (v.length === 0 ? 'Enter a target (a leading space usually matters).' : undefined),
    ignoreFocusOut: true,
  });
}
