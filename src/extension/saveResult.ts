/**
 * Saving a result into the workspace: `<resultsFolder>/<date>-<slug>.blens.json` plus its
 * Markdown report, never overwriting an earlier pair. An absolute results folder works
 * without a workspace; otherwise, with no folder open, the user picks the place in a dialog.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { candidateBaseNames, RESULT_EXTENSION, resultBaseName } from '../report/naming';
import { reportPathFor, resultFiles, saveResultAs, saveResultToFolder } from '../report/resultFile';
import type { BackwardLensResult } from '../result/schema';

const reportUri = (resultUri: vscode.Uri): vscode.Uri => resultUri.with({ path: reportPathFor(resultUri.path) });

/** How a saved pair is named to the user: the result's path and its report's name beside it. */
export function savedLabel(resultUri: vscode.Uri): string {
  return `${vscode.workspace.asRelativePath(resultUri)} and ${path.posix.basename(reportUri(resultUri).path)}`;
}

/** Saves `result` and offers to open either file; returns the `.blens.json` URI, or undefined when the user dismissed the dialog. */
export async function saveResult(result: BackwardLensResult, resultsFolder: string, log: vscode.LogOutputChannel): Promise<vscode.Uri | undefined> {
  const uri = await writeResult(result, resultsFolder);
  if (uri) {
    log.info(`saved ${uri.fsPath || uri.toString()} and its report`);
    void vscode.window.showInformationMessage(`Backward Lens: saved ${savedLabel(uri)}`, 'Open Result', 'Open Report').then((choice) => {
      if (choice === 'Open Result') void vscode.commands.executeCommand('vscode.open', uri);
      if (choice === 'Open Report') void vscode.commands.executeCommand('markdown.showPreview', reportUri(uri));
    });
  }
  return uri;
}

async function writeResult(result: BackwardLensResult, resultsFolder: string): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (path.isAbsolute(resultsFolder) || folder?.uri.scheme === 'file') {
    const dir = path.isAbsolute(resultsFolder) ? resultsFolder : path.join(folder!.uri.fsPath, resultsFolder);
    return vscode.Uri.file((await saveResultToFolder(dir, result)).json);
  }
  return folder ? saveToVirtualFolder(vscode.Uri.joinPath(folder.uri, resultsFolder), result) : saveWithDialog(result);
}

async function saveWithDialog(result: BackwardLensResult): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(os.homedir(), resultBaseName(result) + RESULT_EXTENSION)),
    filters: { 'Backward Lens result': ['json'] },
    title: 'Save Backward Lens result',
  });
  if (!picked) return undefined;
  // The user chose this name (and confirmed any overwrite in the dialog).
  if (picked.scheme === 'file') await saveResultAs(picked.fsPath, result);
  else await writePair(picked, result);
  return picked;
}

/** Virtual file systems offer no atomic rename or exclusive create: check, then write. */
async function saveToVirtualFolder(dir: vscode.Uri, result: BackwardLensResult): Promise<vscode.Uri | undefined> {
  await vscode.workspace.fs.createDirectory(dir);
  for (const name of candidateBaseNames(resultBaseName(result))) {
    const resultUri = vscode.Uri.joinPath(dir, name + RESULT_EXTENSION);
    if ((await exists(resultUri)) || (await exists(reportUri(resultUri)))) continue;
    await writePair(resultUri, result);
    return resultUri;
  }
  return undefined;
}

async function writePair(resultUri: vscode.Uri, result: BackwardLensResult): Promise<void> {
  const { json, markdown } = resultFiles(result);
  await vscode.workspace.fs.writeFile(resultUri, Buffer.from(json));
  await vscode.workspace.fs.writeFile(reportUri(resultUri), Buffer.from(markdown));
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
