/** Reading saved `.blens.json` results: the one the custom editor opens, and one the user picks to compare with. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Reference } from '../protocol/messages';
import { parseResultFile } from '../report/resultFile';
import type { BackwardLensResult } from '../result/schema';

/** Reads and validates a saved result; a damaged or foreign file throws the reason. */
export async function readResultFile(uri: vscode.Uri): Promise<BackwardLensResult> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  return parseResultFile(new TextDecoder().decode(bytes));
}

/** The results folder the settings name (in the first workspace folder unless absolute), if it exists. */
async function existingResultsFolder(setting: string): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const uri = path.isAbsolute(setting) ? vscode.Uri.file(setting) : folder && vscode.Uri.joinPath(folder.uri, setting);
  if (!uri) return undefined;
  try {
    return (await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory ? uri : undefined;
  } catch {
    return undefined;
  }
}

/** A saved result the user picks in an open dialog (opened at the results folder), with its path as the page names it; undefined when dismissed. */
export async function pickResultFile(resultsFolder: string): Promise<Reference | undefined> {
  const [uri] =
    (await vscode.window.showOpenDialog({
      defaultUri: await existingResultsFolder(resultsFolder),
      canSelectMany: false,
      filters: { 'Backward Lens result': ['json'] },
      openLabel: 'Compare',
      title: 'Compare with a saved Backward Lens result',
    })) ?? [];
  return uri ? { label: vscode.workspace.asRelativePath(uri), result: await readResultFile(uri) } : undefined;
}
