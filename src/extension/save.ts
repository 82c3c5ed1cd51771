/**
 * Writing results into the workspace: `<resultsFolder>/<date>-<slug>.blens.json` plus its
 * Markdown report, never overwriting an earlier pair. An absolute results folder works
 * without a workspace; otherwise, with no folder open, the user picks the place in a dialog.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { candidateBaseNames, REPORT_EXTENSION, RESULT_EXTENSION, resultBaseName } from '../report/naming';
import { reportPathFor, resultFiles, saveResultAs, saveResultToFolder } from '../report/resultFile';
import type { BackwardLensResult } from '../result/schema';

/** Returns the saved `.blens.json` URI, or undefined when the user dismissed the dialog. */
export async function saveResult(result: BackwardLensResult, resultsFolder: string): Promise<vscode.Uri | undefined> {
  const base = resultBaseName(result);
  const folder = vscode.workspace.workspaceFolders?.[0];

  if (path.isAbsolute(resultsFolder) || folder?.uri.scheme === 'file') {
    const dir = path.isAbsolute(resultsFolder) ? resultsFolder : path.join(folder!.uri.fsPath, resultsFolder);
    return vscode.Uri.file((await saveResultToFolder(dir, result)).json);
  }
  const { json, markdown } = resultFiles(result);

  if (!folder) {
    const picked = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(os.homedir(), base + RESULT_EXTENSION)),
      filters: { 'Backward Lens result': ['json'] },
      title: 'Save Backward Lens result',
    });
    if (!picked) return undefined;
    // The user chose this name (and confirmed any overwrite in the dialog).
    if (picked.scheme === 'file') {
      await saveResultAs(picked.fsPath, result);
    } else {
      await vscode.workspace.fs.writeFile(picked, Buffer.from(json));
      await vscode.workspace.fs.writeFile(picked.with({ path: reportPathFor(picked.path) }), Buffer.from(markdown));
    }
    return picked;
  }

  // Virtual file systems offer no atomic rename or exclusive create; check, then write.
  const dir = vscode.Uri.joinPath(folder.uri, resultsFolder);
  await vscode.workspace.fs.createDirectory(dir);
  for (const name of candidateBaseNames(base)) {
    const jsonUri = vscode.Uri.joinPath(dir, name + RESULT_EXTENSION);
    const mdUri = vscode.Uri.joinPath(dir, name + REPORT_EXTENSION);
    if ((await exists(jsonUri)) || (await exists(mdUri))) continue;
    await vscode.workspace.fs.writeFile(jsonUri, Buffer.from(json));
    await vscode.workspace.fs.writeFile(mdUri, Buffer.from(markdown));
    return jsonUri;
  }
  return undefined;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
