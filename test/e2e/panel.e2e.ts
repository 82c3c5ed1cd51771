/**
 * End-to-end test of the extension in a real VS Code build (code-server 4.100.3) in a real
 * browser (headless Debian Chromium via playwright-core), once in a dark and once in a light
 * theme:
 *   open a workspace file → select "Once upon a time, there was a little girl named" →
 *   right-click → Backward Lens: Analyze Selection → target "Tom" → the panel's FF1/FF2 grids
 *   (one row per layer, one column per input token; " T" among the bottom tokens of the FF2
 *   cell of the last prompt token in the last layer) → Save → backward-lens/*.blens.json
 *   (parses, schema backward-lens/1, one entry per layer) → reopen it in the custom editor →
 *   the grid renders. Screenshots go to artifacts/ (paths printed).
 *
 * Run: `npm run test:e2e` (builds, then runs out/test/e2e/panel.e2e.js). Prints a closing
 * `N passed, N failed` line and exits non-zero on any failure.
 * Environment: BLENS_E2E_THEMES=dark|light|dark,light (default both), BLENS_EXTENSION_PATH
 * (another extension folder, e.g. an unpacked VSIX), BLENS_E2E_SETTINGS (JSON merged into
 * the user settings), BLENS_E2E_KEEP=1 (keep temp folders), BLENS_E2E_LAYERS (default 5).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import { CodeServer, copyToTemp, extensionUnderTest, repoRoot, startCodeServer } from './codeServer';
import { Browser, findWebviewFrame, inEditorArea, launchBrowser, sleep } from './browser';
import { validateResult } from '../../src/result/validate';

// `node --test out/test/` runs every file under out/test: this one only runs on purpose.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const PROMPT = 'Once upon a time, there was a little girl named';
const TARGET = 'Tom';
const PROMPT_FILE = 'e2e-prompt.txt';
const LAYERS = Number(process.env.BLENS_E2E_LAYERS ?? 5);
const PANEL_TIMEOUT = 180_000; // model load + graph compile + run, on a slow CI machine
const THEMES: Record<string, string> = { dark: 'Default Dark Modern', light: 'Default Light Modern' };

const root = repoRoot();
const artifacts = path.join(root, 'artifacts');
const screenshots: string[] = [];

type Outcome = 'pass' | 'fail' | 'skip';
const results: { name: string; outcome: Outcome; ms: number }[] = [];

function log(msg: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

interface GridInfo {
  heads: number;
  rows: { layer: string | null; cells: number }[];
}
interface PanelInfo {
  grids: Record<string, GridInfo | null>;
  lastFf2Bottom: string | null;
  bodyClass: string;
}

async function readPanel(frame: Frame): Promise<PanelInfo> {
  return frame.evaluate(() => {
    const grids: Record<string, { heads: number; rows: { layer: string | null; cells: number }[] } | null> = {};
    for (const g of ['ff1', 'ff2']) {
      const t = document.querySelector(`table[role=grid][data-grid=${g}]`);
      grids[g] = t
        ? {
            heads: t.querySelectorAll('th[data-pos]').length,
            rows: Array.from(t.querySelectorAll('tr[data-layer]')).map((tr) => ({
              layer: tr.getAttribute('data-layer'),
              cells: tr.querySelectorAll('td[role=gridcell]').length,
            })),
          }
        : null;
    }
    const cells = document.querySelectorAll('table[role=grid][data-grid=ff2] tr[data-layer="4"] td[role=gridcell]');
    const last = cells.length ? cells[cells.length - 1] : null;
    return { grids, lastFf2Bottom: last ? last.getAttribute('data-bottom') : null, bodyClass: document.body.className };
  });
}

/** Waits until both grids are there with all their rows (the panel may render in steps). */
async function waitForGrids(frame: Frame, timeoutMs: number): Promise<PanelInfo> {
  const deadline = Date.now() + timeoutMs;
  let info = await readPanel(frame);
  while (Date.now() < deadline) {
    const ok = ['ff1', 'ff2'].every((g) => (info.grids[g]?.rows.length ?? 0) >= LAYERS && (info.grids[g]?.heads ?? 0) > 0);
    if (ok) return info;
    await sleep(250);
    info = await readPanel(frame);
  }
  return info;
}

function assertGrids(info: PanelInfo, expectTokens?: number): number {
  let tokens = -1;
  for (const g of ['ff1', 'ff2']) {
    const grid = info.grids[g];
    if (!grid) throw new Error(`table[role=grid][data-grid=${g}] not found`);
    if (grid.rows.length !== LAYERS) throw new Error(`${g}: ${grid.rows.length} tr[data-layer] rows, expected ${LAYERS}`);
    const layers = grid.rows.map((r) => r.layer).join(',');
    const expectedOrder = Array.from({ length: LAYERS }, (_, i) => String(LAYERS - 1 - i)).join(',');
    if (layers !== expectedOrder) throw new Error(`${g}: row layers ${layers}, expected last layer on top (${expectedOrder})`);
    if (grid.heads < 2) throw new Error(`${g}: ${grid.heads} th[data-pos] token headers, expected BOS + prompt tokens`);
    for (const r of grid.rows) {
      if (r.cells !== grid.heads) throw new Error(`${g} layer ${r.layer}: ${r.cells} gridcells, expected ${grid.heads} (one per token)`);
    }
    if (tokens >= 0 && grid.heads !== tokens) throw new Error(`ff1 has ${tokens} token columns, ff2 ${grid.heads}`);
    tokens = grid.heads;
  }
  if (expectTokens !== undefined && tokens !== expectTokens) {
    throw new Error(`grids have ${tokens} token columns, the result file has ${expectTokens} tokens`);
  }
  return tokens;
}

/**
 * Resolves with `work`, or rejects as soon as VS Code shows an error notification (the
 * extension reports failures that way), with its text, instead of waiting out a timeout.
 */
async function failFastOnErrorToast<T>(page: Page, work: Promise<T>): Promise<T> {
  let done = false;
  const watch = (async (): Promise<never> => {
    const toast = page.locator('.notifications-toasts .notification-toast', { has: page.locator('.codicon-error') }).first();
    while (!done) {
      if (await toast.isVisible().catch(() => false)) {
        const text = ((await toast.locator('.notification-list-item-message').textContent().catch(() => null)) ?? '').trim();
        throw new Error(`VS Code showed an error notification: ${text || '(no text)'}`);
      }
      await sleep(500);
    }
    return new Promise<never>(() => undefined);
  })();
  try {
    return await Promise.race([work, watch]);
  } finally {
    done = true;
    work.catch(() => undefined);
  }
}

async function shoot(page: Page, name: string, frame?: Frame): Promise<void> {
  fs.mkdirSync(artifacts, { recursive: true });
  const full = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: full });
  screenshots.push(full);
  log(`screenshot: ${full}`);
  if (frame) {
    try {
      const el = await frame.frameElement();
      const crop = path.join(artifacts, `${name}-webview.png`);
      await el.screenshot({ path: crop });
      screenshots.push(crop);
      log(`screenshot: ${crop}`);
    } catch (err) {
      log(`(no webview crop: ${(err as Error).message.split('\n')[0]})`);
    }
  }
}

/** Opens the command palette and runs a command by its label. */
async function runCommand(page: Page, label: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${label}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
  await sleep(200);
  await page.keyboard.press('Enter');
}

async function runTheme(themeKey: string): Promise<void> {
  const theme = THEMES[themeKey];
  if (!theme) throw new Error(`unknown theme ${themeKey}`);
  const tag = `[${themeKey}]`;
  const workspace = copyToTemp(path.join(root, 'test', 'e2e', 'workspace'), 'blens-e2e-ws-');
  let extraSettings: Record<string, unknown> = {};
  if (process.env.BLENS_E2E_SETTINGS) extraSettings = JSON.parse(process.env.BLENS_E2E_SETTINGS);

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let failed = false;
  let frame: Frame | undefined;
  let tokens = 0;

  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const full = `${tag} ${name}`;
    if (failed) {
      results.push({ name: full, outcome: 'skip', ms: 0 });
      log(`SKIP ${full} (an earlier step failed)`);
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name: full, outcome: 'pass', ms: Date.now() - t0 });
      log(`PASS ${full} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed = true;
      results.push({ name: full, outcome: 'fail', ms: Date.now() - t0 });
      log(`FAIL ${full}: ${(err as Error).stack ?? err}`);
      if (browser) await shoot(browser.page, `e2e-${themeKey}-failure`).catch(() => undefined);
      if (server) console.log(`--- code-server log (${server.logFile}), last lines ---\n${server.logTail(60)}\n---`);
    }
  };

  try {
    await step(`VS Code (${theme}) opens ${PROMPT_FILE} and selects the prompt`, async () => {
      server = await startCodeServer({
        extensionPaths: [extensionUnderTest()],
        userSettings: { 'workbench.colorTheme': theme, ...extraSettings },
        keep: !!process.env.BLENS_E2E_KEEP,
      });
      log(`code-server ${server.url} (pid ${server.pid}, log ${server.logFile}), workspace ${workspace}`);
      browser = await launchBrowser();
      const page = browser.page;
      page.on('pageerror', (e) => log(`page error: ${e.message.split('\n')[0]}`));
      await page.goto(server.folderUrl(workspace), { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const themeClass = themeKey === 'dark' ? 'vs-dark' : 'vs';
      await page.locator(`.monaco-workbench.${themeClass}`).waitFor({ timeout: 30_000 });
      const item = page.getByRole('treeitem', { name: PROMPT_FILE }).first();
      await item.waitFor({ timeout: 60_000 });
      await item.click();
      const editor = page.locator('.editor-instance .monaco-editor .view-lines').first();
      await page.locator('.tabs-container .tab', { hasText: PROMPT_FILE }).first().waitFor({ timeout: 30_000 });
      await editor.waitFor({ timeout: 30_000 });
      await page.locator('.editor-instance .monaco-editor .view-line', { hasText: PROMPT }).first().waitFor({ timeout: 30_000 });
      await editor.click();
      // Re-apply until the status bar confirms it: a late selection event can undo it.
      const status = page.locator('[id="status.editor.selection"]');
      for (let i = 0; ; i++) {
        await page.keyboard.press('Control+Home');
        await page.keyboard.press('Shift+End');
        try {
          await status.filter({ hasText: `(${PROMPT.length} selected)` }).waitFor({ timeout: 3000 });
          break;
        } catch (err) {
          if (i >= 4) throw new Error(`selection not confirmed; status bar says "${await status.textContent().catch(() => '?')}"`);
          await editor.click();
        }
      }
    });

    await step('right-click → Backward Lens: Analyze Selection → target "Tom" opens the panel with both grids', async () => {
      const page = browser!.page;
      const box = await page.locator('.editor-instance .monaco-editor .view-lines').first().boundingBox();
      if (!box) throw new Error('editor has no box');
      const menu = page.locator('.context-view .monaco-menu').first();
      // Gotcha (notes): the item ignores an immediate click; wait, hover, click with a delay.
      // The item's accessible name includes its keybinding: match the label element instead.
      const item = page
        .getByRole('menuitem')
        .filter({ has: page.locator('.action-label', { hasText: /^\s*(Backward Lens: )?Analyze Selection\s*$/ }) })
        .first();
      // The menu lists the extension's entries only once the extension host has registered
      // its contributions, which can trail the workbench by seconds: reopen until they show.
      const menuDeadline = Date.now() + 90_000;
      for (;;) {
        await page.mouse.click(box.x + 60, box.y + 8, { button: 'right' });
        await menu.waitFor({ state: 'visible', timeout: 10_000 });
        try {
          await item.waitFor({ state: 'visible', timeout: 3000 });
          break;
        } catch {
          if (Date.now() > menuDeadline) throw new Error('the editor context menu never offered "Analyze Selection"');
          log('context menu has no "Analyze Selection" yet (extension host still starting?); reopening it');
          await page.keyboard.press('Escape');
          await sleep(1500);
        }
      }
      for (let attempt = 1; ; attempt++) {
        await sleep(300);
        await item.hover();
        await sleep(100);
        await item.click({ delay: 50 });
        // A click that took closes the menu; one that was ignored leaves it open: try again.
        try {
          await item.waitFor({ state: 'hidden', timeout: 3000 });
          break;
        } catch {
          if (attempt >= 4) throw new Error('the context menu ignored 4 clicks on Analyze Selection');
          log(`context menu still open after click ${attempt}; clicking again`);
        }
      }
      const input = page.locator('.quick-input-widget input').first();
      await failFastOnErrorToast(page, input.waitFor({ state: 'visible', timeout: 120_000 }));
      log(`target input box pre-filled with ${JSON.stringify(await input.inputValue())}`);
      await input.fill(TARGET);
      await sleep(100);
      await page.keyboard.press('Enter');
      const t0 = Date.now();
      frame = await failFastOnErrorToast(page, findWebviewFrame(page, 'table[data-grid=ff2] tr[data-layer]', PANEL_TIMEOUT, inEditorArea));
      const info = await waitForGrids(frame, 30_000);
      log(`panel grids after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(info.grids)}`);
      tokens = assertGrids(info);
      const expectBody = themeKey === 'dark' ? 'vscode-dark' : 'vscode-light';
      if (!info.bodyClass.includes(expectBody)) throw new Error(`webview body class "${info.bodyClass}", expected ${expectBody}`);
      await sleep(500); // let fonts and norm colours settle for the screenshot
      await shoot(page, `e2e-${themeKey}-panel`, frame);
    });

    await step('FF2 cell of the last prompt token (layer 4) has " T" among its bottom tokens', async () => {
      const info = await readPanel(frame!);
      if (info.lastFf2Bottom === null) throw new Error('no data-bottom on the last gridcell of FF2 tr[data-layer="4"]');
      const bottom = JSON.parse(info.lastFf2Bottom) as unknown[];
      const texts = bottom.map((b) => (typeof b === 'string' ? b : (b as { text?: string }).text));
      log(`FF2 layer 4, last position, bottom tokens: ${JSON.stringify(texts)}`);
      if (!texts.includes(' T')) throw new Error(`" T" not among ${JSON.stringify(texts)}`);
    });

    await step('Save writes backward-lens/*.blens.json (parses, valid against the backward-lens/1 JSON Schema, one entry per layer)', async () => {
      await frame!.click('#save-result', { timeout: 15_000 });
      const dir = path.join(workspace, 'backward-lens');
      const deadline = Date.now() + 60_000;
      let file: string | undefined;
      while (!file) {
        const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.blens.json')) : [];
        if (found.length) file = path.join(dir, found[0]);
        else if (Date.now() > deadline) throw new Error(`no *.blens.json in ${dir} 60 s after Save`);
        else await sleep(250);
      }
      await sleep(300); // written atomically, but give a rename a moment
      log(`saved ${file}; folder holds ${JSON.stringify(fs.readdirSync(dir))}`);
      const json = validateResult(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!Array.isArray(json.layers) || json.layers.length !== LAYERS) throw new Error(`layers: ${json.layers?.length}, expected ${LAYERS}`);
      if (!Array.isArray(json.tokens) || json.tokens.length !== tokens) {
        throw new Error(`file has ${json.tokens?.length} tokens, the panel showed ${tokens} columns`);
      }
      if (typeof json.prompt === 'string' && json.prompt !== PROMPT) throw new Error(`prompt ${JSON.stringify(json.prompt)}`);
      for (const l of json.layers) {
        if (l.ff1?.top?.length !== tokens || l.ff2?.bottom?.length !== tokens) throw new Error(`layer ${l.layer}: per-position lists do not have ${tokens} entries`);
      }
      savedFile = file;
    });

    await step('reopening the .blens.json shows the grid in the custom editor', async () => {
      const page = browser!.page;
      await runCommand(page, 'View: Close All Editors');
      await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input').first();
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      const base = path.basename(savedFile!);
      await input.fill(base);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ timeout: 30_000 });
      await sleep(200);
      await page.keyboard.press('Enter');
      const reopened = await findWebviewFrame(page, 'table[data-grid=ff1] tr[data-layer]', 90_000, inEditorArea);
      const tab = page.locator('.tabs-container .tab.active');
      const tabLabel = (await tab.textContent())?.trim() ?? '';
      if (!tabLabel.includes('.blens.json')) throw new Error(`active editor tab is "${tabLabel}", expected the .blens.json custom editor`);
      const info = await waitForGrids(reopened, 30_000);
      assertGrids(info, tokens);
      await sleep(500);
      await shoot(page, `e2e-${themeKey}-reopened`, reopened);
    });
  } finally {
    savedFile = undefined;
    await browser?.close();
    await server?.stop();
    if (!process.env.BLENS_E2E_KEEP) fs.rmSync(workspace, { recursive: true, force: true });
  }
}
let savedFile: string | undefined;

async function main(): Promise<void> {
  const t0 = Date.now();
  const themes = (process.env.BLENS_E2E_THEMES ?? 'dark,light').split(',').map((s) => s.trim()).filter(Boolean);
  log(`extension: ${extensionUnderTest()}; themes: ${themes.join(', ')}`);
  // Screenshots in artifacts/ describe this run only.
  if (fs.existsSync(artifacts)) {
    for (const f of fs.readdirSync(artifacts)) if (/^e2e-.*\.png$/.test(f)) fs.rmSync(path.join(artifacts, f));
  }
  for (const t of themes) await runTheme(t);
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const skipped = results.filter((r) => r.outcome === 'skip').length;
  console.log('');
  for (const r of results) console.log(`${r.outcome === 'pass' ? 'ok  ' : r.outcome === 'fail' ? 'FAIL' : 'skip'} ${r.name}`);
  if (screenshots.length) console.log(`\nscreenshots:\n${screenshots.map((s) => `  ${s}`).join('\n')}`);
  console.log(`\ne2e took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (skipped) console.log(`(${skipped} steps not run after an earlier failure are counted as failed)`);
  console.log(`${passed} passed, ${failed + skipped} failed`);
  process.exit(failed + skipped > 0 || passed === 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
