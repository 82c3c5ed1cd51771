/**
 * `@vscode/test-electron` entry: VS Code loads this file in its extension host and awaits
 * `run()`. Suite files are plain modules exporting a function that declares their tests,
 * because the project's `node --test out/test/` also loads every compiled file under
 * out/test/, where neither `vscode` nor mocha's globals exist: loading must have no effects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscodeApi from 'vscode';

export type SuiteDefinition = (vscode: typeof vscodeApi) => void;

export function run(): Promise<void> {
  // Loaded here, not at the top: outside VS Code this module must load without them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as typeof import('mocha');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vscode = require('vscode') as typeof vscodeApi;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000 });
  mocha.suite.emit('pre-require', globalThis, __filename, mocha);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.suite.js')).sort();
  for (const file of files) {
    const definition = (require(path.join(__dirname, file)) as { default: SuiteDefinition }).default;
    definition(vscode);
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
