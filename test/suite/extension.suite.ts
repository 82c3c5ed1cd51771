/**
 * Integration tests inside a real extension host: the extension as users get it (commands,
 * menus, the engine on the embedded model, saving, the custom editor).
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscodeApi from 'vscode';
import { RESULT_SCHEMA, type BackwardLensResult } from '../../src/result/schema';

const EXTENSION_ID = 'backward-lens.backward-lens';
const PROMPT = 'Once upon a time, there was a little girl named';

export default function define(vscode: typeof vscodeApi): void {
  suite('Backward Lens extension', () => {
    let result: BackwardLensResult | undefined;
    let saved: vscodeApi.Uri | undefined;
    let resultsDir: string;
    let previousFolder: string | undefined;

    suiteSetup(async () => {
      await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
      resultsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'blens-suite-'));
      const config = vscode.workspace.getConfiguration('backwardLens');
      previousFolder = config.inspect<string>('resultsFolder')?.globalValue;
      // An absolute folder keeps the test out of the user's workspace and away from the save dialog.
      await config.update('resultsFolder', resultsDir, vscode.ConfigurationTarget.Global);
    });

    suiteTeardown(async () => {
      await vscode.workspace.getConfiguration('backwardLens').update('resultsFolder', previousFolder, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await fs.rm(resultsDir, { recursive: true, force: true });
    });

    test('commands are registered', async () => {
      const all = new Set(await vscode.commands.getCommands(true));
      for (const id of ['analyzeSelection', 'analyzeSelectionAsText', 'saveResult', 'selectModel']) {
        assert.ok(all.has(`backwardLens.${id}`), id);
      }
    });

    test('the editor context menu offers the analyses when text is selected', () => {
      const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['editor/context'] as { command: string; when: string }[];
      const analyze = menus.find((m) => m.command === 'backwardLens.analyzeSelection');
      assert.ok(analyze);
      assert.match(analyze.when, /editorHasSelection/);
      assert.ok(menus.some((m) => m.command === 'backwardLens.analyzeSelectionAsText'));
    });

    test('analyzing a selection returns one row per layer and one column per token', async () => {
      const document = await vscode.workspace.openTextDocument({ content: `${PROMPT}\n`, language: 'plaintext' });
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(0, 0, 0, PROMPT.length);
      result = await vscode.commands.executeCommand<BackwardLensResult>('backwardLens.analyzeSelection', { target: 'Tom' });
      assert.ok(result, 'the command returned no result');
      assert.equal(result.schema, RESULT_SCHEMA);
      assert.equal(result.prompt, PROMPT);
      assert.equal(result.lossMode, 'paper');
      assert.equal(result.layers.length, result.model.layers);
      for (const layer of result.layers) {
        for (const lens of [layer.ff1, layer.ff2]) {
          assert.equal(lens.top.length, result.tokens.length);
          assert.equal(lens.bottom.length, result.tokens.length);
        }
      }
      const last = result.tokens.length - 1;
      const topLayer = result.layers[result.layers.length - 1];
      assert.ok(topLayer.ff2.bottom[last].some((t) => t.text === ' T'), JSON.stringify(topLayer.ff2.bottom[last]));
    });

    test('saving writes a valid result and its report, never overwriting', async () => {
      assert.ok(result, 'needs the analysis above');
      saved = await vscode.commands.executeCommand<vscodeApi.Uri>('backwardLens.saveResult');
      assert.ok(saved);
      assert.equal(path.dirname(saved.fsPath), resultsDir);
      assert.match(path.basename(saved.fsPath), /^\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.blens\.json$/);
      const parsed = JSON.parse(await fs.readFile(saved.fsPath, 'utf8')) as BackwardLensResult;
      assert.equal(parsed.schema, RESULT_SCHEMA);
      assert.deepEqual(parsed.tokens, result.tokens);
      const report = await fs.readFile(saved.fsPath.replace(/\.blens\.json$/, '.md'), 'utf8');
      assert.match(report, /## FF2 — shift/);
      const again = await vscode.commands.executeCommand<vscodeApi.Uri>('backwardLens.saveResult');
      assert.ok(again && again.fsPath !== saved.fsPath);
    });

    test('the custom editor opens a saved result', async () => {
      assert.ok(saved, 'needs the save above');
      await vscode.commands.executeCommand('vscode.openWith', saved, 'backwardLens.resultEditor');
      const deadline = Date.now() + 10_000;
      let input: unknown;
      while (Date.now() < deadline) {
        input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
        if (input instanceof vscode.TabInputCustom) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(input instanceof vscode.TabInputCustom, 'no custom editor tab');
      assert.equal(input.viewType, 'backwardLens.resultEditor');
      assert.equal(input.uri.toString(), saved.toString());
    });
  });
}
