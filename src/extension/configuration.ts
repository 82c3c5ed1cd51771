/** The `backwardLens.*` settings as VS Code holds them: read, written, watched. */
import * as vscode from 'vscode';
import { ENGINE_SETTINGS, parseSettings, type Settings } from './settings';

const SECTION = 'backwardLens';

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return parseSettings((key) => config.get(key));
}

/** Writes where the value is currently defined, so a workspace setting is not silently shadowed. */
export async function updateSetting(key: keyof Settings, value: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target = inspected?.workspaceFolderValue !== undefined
    ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}

/** Calls `listener` when a Backward Lens setting changes, saying whether one of the engine's did. */
export function onDidChangeSettings(listener: (engineChanged: boolean) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) listener(ENGINE_SETTINGS.some((key) => e.affectsConfiguration(`${SECTION}.${key}`)));
  });
}
