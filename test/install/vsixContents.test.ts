import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { minimatch } from 'minimatch';

const root = path.resolve(__dirname, '..', '..', '..');

/** Whether vsce packs `file`: as in .vscodeignore, the last pattern that matches it decides, and a `!` pattern keeps it. */
function packed(file: string, patterns: string[]): boolean {
  let kept = true;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (minimatch(file, negated ? pattern.slice(1) : pattern, { dot: true })) kept = negated;
  }
  return kept;
}

test('the VSIX carries every script the extension starts: each webpack entry of both bundles, and the stylesheet', () => {
  const patterns = fs
    .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const configs = require(path.join(root, 'webpack.config.js'))({}, { mode: 'production' }) as { entry: Record<string, string> }[];
  const bundles = configs.flatMap((config) => Object.keys(config.entry).map((name) => `dist/${name}.js`));
  assert.ok(bundles.includes('dist/engineChild.js') && bundles.includes('dist/weightValuesWorker.js'), `entries: ${bundles.join(', ')}`);
  for (const file of [...bundles, 'dist/webview.css']) assert.ok(packed(file, patterns), `${file} is left out of the VSIX by .vscodeignore`);
  assert.ok(!packed('dist/extension.js.map', patterns) && !packed('src/extension/extension.ts', patterns), 'source maps and sources stay out');
});
