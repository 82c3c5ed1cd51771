import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/extension/settings';
import { EXECUTION_PROVIDER_CHOICES, TOP_K_RANGE } from '../../src/engine/api';
import { LOSS_MODES, PRECISIONS } from '../../src/result/schema';

// Compiled to out/test/extension-unit/, three levels below the repository root.
const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));

test('every menu and keybinding names a contributed command', () => {
  const commands = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
  for (const id of ['backwardLens.analyzeSelection', 'backwardLens.analyzeSelectionAsText', 'backwardLens.saveResult', 'backwardLens.selectModel', 'backwardLens.setHubToken']) {
    assert.ok(commands.has(id), id);
  }
  // The palette shows "category: title"; a context menu shows the title alone, so the analyses carry the name in their titles.
  for (const c of manifest.contributes.commands) assert.match(c.category ? `${c.category}: ${c.title}` : c.title, /^Backward Lens: [^:]+$/);
  const menus = Object.values(manifest.contributes.menus).flat() as { command: string }[];
  for (const entry of [...menus, ...manifest.contributes.keybindings]) assert.ok(commands.has(entry.command), entry.command);
});

test('the editor context menu offers both analyses only with a selection', () => {
  const entries = manifest.contributes.menus['editor/context'];
  assert.deepEqual(entries.map((e: { command: string }) => e.command).sort(), ['backwardLens.analyzeSelection', 'backwardLens.analyzeSelectionAsText']);
  for (const e of entries) assert.match(e.when, /editorHasSelection/);
  const titles = entries.map((e: { command: string }) => manifest.contributes.commands.find((c: { command: string }) => c.command === e.command).title);
  assert.deepEqual(titles, ['Backward Lens: Analyze Selection', 'Backward Lens: Analyze Selection as Training Text']);
});

test('settings are documented and default to the values the code assumes', () => {
  const props = manifest.contributes.configuration.properties;
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    const prop = props[`backwardLens.${key}`];
    assert.ok(prop, key);
    assert.equal(prop.default, value, key);
    assert.ok(prop.markdownDescription || prop.description, key);
  }
  assert.equal(Object.keys(props).length, Object.keys(DEFAULT_SETTINGS).length);
});

test('the extension bundle, custom editor, view and panel restore are wired', () => {
  assert.equal(manifest.main, './dist/extension.js');
  // The status bar item, the picker's way in, exists only once the extension runs.
  assert.ok(manifest.activationEvents.includes('onStartupFinished'));
  assert.ok(manifest.activationEvents.includes('onWebviewPanel:backwardLens.panel'));
  assert.deepEqual(manifest.contributes.customEditors[0].selector, [{ filenamePattern: '*.blens.json' }]);
  assert.equal(Object.values(manifest.contributes.views).flat().some((v) => (v as { id: string }).id === 'backwardLens.resultsView'), true);
});

test('the settings offer exactly the values the engine accepts', () => {
  const props = manifest.contributes.configuration.properties;
  assert.deepEqual(props['backwardLens.lossMode'].enum, [...LOSS_MODES]);
  assert.deepEqual(props['backwardLens.executionProvider'].enum, [...EXECUTION_PROVIDER_CHOICES]);
  assert.deepEqual(props['backwardLens.projection'].enum, [...PRECISIONS]);
  assert.deepEqual(props['backwardLens.matmuls'].enum, [...PRECISIONS]);
  assert.deepEqual([props['backwardLens.topK'].minimum, props['backwardLens.topK'].maximum], [TOP_K_RANGE.min, TOP_K_RANGE.max]);
});
