/** `backwardLens.selectModel`: the quick pick behind the status bar item (model, then provider). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXECUTION_PROVIDER_CHOICES } from '../engine/api';
import { readSettings, updateSetting } from './configuration';
import type { EngineHost } from './engineHost';

/** `run` resolves to the model path to set ('' for the embedded model), or null to leave it. */
type Item = vscode.QuickPickItem & { run: () => Promise<string | null> };

async function browse(folder: boolean): Promise<string | null> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: folder, canSelectFiles: !folder, title: folder ? 'Model folder' : 'Model file' });
  return picked?.[0]?.fsPath ?? null;
}

export async function selectModel(engines: EngineHost): Promise<void> {
  const settings = readSettings();
  const items: Item[] = [
    {
      label: '$(package) Embedded stories260K',
      description: settings.modelPath ? undefined : 'active',
      detail: engines.resolveModelPath(''),
      run: async () => '',
    },
    {
      label: '$(folder-opened) Browse for a model folder…',
      detail: 'llama2.c or Hugging Face (safetensors + tokenizer.json) folder',
      run: () => browse(true),
    },
    { label: '$(file) Browse for a model file…', detail: 'a single checkpoint file', run: () => browse(false) },
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
  if (modelPath !== null) await updateSetting('modelPath', modelPath);
}
