/**
 * `backwardLens.selectModel`: the quick pick behind the status bar item. It lists the embedded
 * stories260K, the cached Hugging Face models it can run (architecture, parameters, dtype,
 * size), a hub download, folder and file browsing, and whatever path or id is typed; then the
 * execution provider. A choice is downloaded if need be and checked (no weights read) before it
 * is saved; a bad one says why and offers the embedded model or another choice.
 */
import * as vscode from 'vscode';
import { EXECUTION_PROVIDER_CHOICES } from '../engine/api';
import { parseHubId } from '../hub/hubId';
import type { HubOptions } from '../hub/hubOptions';
import { readSettings, updateSetting } from './configuration';
import { downloadModel } from './downloadModel';
import type { EngineHost } from './engineHost';
import { cachedChoices, modelProblem, needsDownload } from './modelChoices';

/** `run` resolves to the model to set ('' for the embedded model), or null to leave the setting. */
type Item = vscode.QuickPickItem & { run: () => Promise<string | null> };

const EMBEDDED = 'Use the embedded stories260K';
const CHOOSE_AGAIN = 'Choose again';

export async function selectModel(engines: EngineHost, hub: () => Promise<HubOptions>): Promise<void> {
  const options = await hub();
  const picked = await pick(items(engines, options));
  const reference = picked ? await picked.run() : null;
  if (reference === null) return;
  const problem = reference === '' ? undefined : await check(reference, options);
  if (problem === null) return;
  if (problem === undefined) return updateSetting('modelPath', reference);
  const answer = await vscode.window.showErrorMessage(`Backward Lens: ${problem}`, EMBEDDED, CHOOSE_AGAIN);
  if (answer === EMBEDDED) await updateSetting('modelPath', '');
  if (answer === CHOOSE_AGAIN) await selectModel(engines, hub);
}

/** Why `reference` cannot be used (undefined: it can), after downloading it if it is an uncached hub id; null when the download was cancelled. */
async function check(reference: string, hub: HubOptions): Promise<string | undefined | null> {
  try {
    if (needsDownload(reference, hub.cacheDir) && (await downloadModel(reference, hub)) === undefined) return null;
  } catch (error) {
    return (error as Error).message;
  }
  const checking = { location: vscode.ProgressLocation.Window, title: 'Backward Lens: checking the model…' };
  return vscode.window.withProgress(checking, () => modelProblem(reference, hub.cacheDir));
}

function items(engines: EngineHost, hub: HubOptions): Item[] {
  const settings = readSettings();
  const keep = async () => null;
  const list: Item[] = [];
  if (settings.modelPath) list.push({ label: `$(check) ${engines.describe(settings)}`, description: 'active', detail: engines.resolveModelPath(settings.modelPath), run: keep });
  list.push({ label: '$(package) Embedded stories260K', description: settings.modelPath ? undefined : 'active', detail: engines.resolveModelPath(''), run: async () => '' });
  const cached = cachedChoices(hub.cacheDir, settings.maxTokens);
  if (cached.length > 0) list.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator, run: keep });
  for (const choice of cached) list.push({ label: `$(database) ${choice.label}`, description: choice.description, detail: choice.detail, run: async () => choice.reference });
  list.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator, run: keep },
    { label: '$(cloud-download) Download from the Hugging Face Hub…', detail: `a model id such as HuggingFaceTB/SmolLM2-135M, from ${hub.endpoint}`, run: askHubId },
    { label: '$(folder-opened) Browse for a model folder…', detail: 'llama2.c or Hugging Face (safetensors + tokenizer.json) folder', run: () => browse(true) },
    { label: '$(file) Browse for a model file…', detail: 'a single checkpoint file', run: () => browse(false) },
    { label: '', kind: vscode.QuickPickItemKind.Separator, run: keep },
    {
      label: `$(server-process) Execution provider: ${settings.executionProvider}`,
      detail: 'auto uses CUDA when onnxruntime-node has it, else the CPU',
      run: async () => {
        const choice = await vscode.window.showQuickPick([...EXECUTION_PROVIDER_CHOICES], { title: 'Execution provider', placeHolder: settings.executionProvider });
        if (choice) await updateSetting('executionProvider', choice);
        return null;
      },
    },
  );
  return list;
}

/** The quick pick, with an item for what is typed (a path or an id) on top while there is text. */
function pick(fixed: Item[]): Promise<Item | undefined> {
  const quickPick = vscode.window.createQuickPick<Item>();
  quickPick.title = 'Backward Lens: model';
  quickPick.placeholder = 'Choose a model, or type a path or a Hugging Face id (ORG/NAME[@REVISION])';
  quickPick.matchOnDetail = true;
  quickPick.items = fixed;
  quickPick.onDidChangeValue((value) => {
    const typed = value.trim();
    const item: Item = { label: `$(edit) ${typed}`, description: parseHubId(typed) ? 'Hugging Face id' : 'path', alwaysShow: true, run: async () => typed };
    quickPick.items = typed ? [item, ...fixed] : fixed;
  });
  return new Promise((resolve) => {
    quickPick.onDidAccept(() => {
      resolve(quickPick.selectedItems[0]);
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      resolve(undefined);
      quickPick.dispose();
    });
    quickPick.show();
  });
}

async function askHubId(): Promise<string | null> {
  const id = await vscode.window.showInputBox({
    title: 'Backward Lens: download from the Hugging Face Hub',
    prompt: 'The model id as on its page, optionally with @REVISION (a branch, tag or commit)',
    placeHolder: 'HuggingFaceTB/SmolLM2-135M',
    ignoreFocusOut: true,
    validateInput: (value) => (parseHubId(value.trim()) ? undefined : 'Enter an id as ORG/NAME or ORG/NAME@REVISION.'),
  });
  return id?.trim() ?? null;
}

async function browse(folder: boolean): Promise<string | null> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: folder, canSelectFiles: !folder, title: folder ? 'Model folder' : 'Model file' });
  return picked?.[0]?.fsPath ?? null;
}
