/** Reading saved `.blens.json` results: the one the custom editor opens, and one the user picks to compare with. */
import * as vscode from 'vscode';
import { parseResultFile } from '../report/resultFile';
import type { BackwardLensResult } from '../result/schema';

/** Reads and validates a saved result; a damaged or foreign file throws the reason. */
export async function readResultFile(uri: vscode.Uri): Promise<BackwardLensResult> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  return parseResultFile(new TextDecoder().decode(bytes));
}

/** A saved result the user picks in an open dialog, with its path as the page names it; undefined when the dialog was dismissed. */
export async function pickResultFile(): Promise<{ label: string; result: BackwardLensResult } | undefined> {
  const [uri] =
    (await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'Backward Lens result': ['json'] },
      openLabel: 'Compare',
      title: 'Compare with a saved Backward Lens result',
    })) ?? [];
  return uri ? { label: vscode.workspace.asRelativePath(uri), result: await readResultFile(uri) } : undefined;
}
