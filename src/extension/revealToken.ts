/** A click on a token in a result selects its characters in the document they came from. */
import * as vscode from 'vscode';
import type { Shown } from './resultSurface';
import { tokenRanges } from './tokenRanges';

/** Selects input position `position` of `shown` in its source document; nothing for a token with no range. */
export async function revealToken(shown: Shown, position: number): Promise<void> {
  const origin = shown.origin;
  const range = origin && tokenRanges(shown.result.prompt, shown.result.tokens)[position];
  if (!origin || !range) return;
  const uri = vscode.Uri.parse(origin.uri);
  const document = await vscode.workspace.openTextDocument(uri);
  const selection = new vscode.Range(document.positionAt(origin.offset + range.start), document.positionAt(origin.offset + range.end));
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === origin.uri);
  const editor = await vscode.window.showTextDocument(document, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
