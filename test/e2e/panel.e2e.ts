/**
 * End-to-end test of the extension in a real VS Code build (code-server 4.100.3) in a real
 * browser (headless Debian Chromium via playwright-core), once each in a dark, a light and a
 * high-contrast theme:
 *   open a workspace file → select "Once upon a time, there was a little girl named" →
 *   right-click → Backward Lens: Analyze Selection → target "Tom" → the panel's FF1/FF2 grids
 *   (one row per layer, one column per input token; " T" among the bottom tokens of the FF2
 *   cell of the last prompt token in the last layer) → Save → backward-lens/*.blens.json
 *   (parses, schema backward-lens/1, one entry per layer) → reopen it in the custom editor →
 *   the grid renders. Screenshots go to artifacts/ (paths printed).
 * Between the analysis and Save it also drives the panel itself: a click on the " little"
 * column header selects that word in the editor; hovering / focusing a cell shows
 * #cell-details with its top-k and bottom-k tokens; arrow keys move focus between cells;
 * #toggle-normalized re-runs with the normalized lens; a window reload brings the panel back
 * through its WebviewPanelSerializer (grids, lens and reveal still work). Save then runs in
 * the restored panel.
 *
 * Run: `npm run test:e2e` (builds, then runs out/test/e2e/panel.e2e.js). Prints a closing
 * `N passed, N failed` line and exits non-zero on any failure.
 * Environment: BLENS_E2E_THEMES=dark|light|hc, comma-separated (default dark,light,hc), BLENS_EXTENSION_PATH
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
const THEMES: Record<string, string> = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' };
/** The class each theme puts on .monaco-workbench, and on the webview's <body>. */
const WORKBENCH_CLASS: Record<string, string> = { dark: 'vs-dark', light: 'vs', hc: 'hc-black' };
const WEBVIEW_BODY_CLASS: Record<string, string> = { dark: 'vscode-dark', light: 'vscode-light', hc: 'vscode-high-contrast' };

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

/** Polls `probe` until `ok` accepts its value; after `timeoutMs` throws `describe(last value)`. */
async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, describe: (v: T) => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(describe(v));
    await sleep(200);
    v = await probe();
  }
  return v;
}

/** Same as the webview's visibleToken(): how a token's text is shown in the UI. */
const shown = (text: string): string => text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');

/**
 * What the editor has selected in the one-line prompt, read from the status bar's
 * "Ln 1, Col C (K selected)": the K characters before the cursor (a selection revealed from
 * a Range ends at the cursor) and, for a reversed one, the K after it.
 */
function selectionCandidates(status: string): string[] {
  const m = /Ln 1, Col (\d+) \((\d+) selected\)/.exec(status);
  if (!m) return [];
  const col = Number(m[1]) - 1;
  const k = Number(m[2]);
  return [col >= k ? PROMPT.slice(col - k, col) : '', PROMPT.slice(col, col + k)].filter(Boolean);
}

/**
 * Clicks the FF1 column header of the prompt token `word` (shown as "␣word") and waits until
 * the editor selects exactly that word (its leading space allowed) in e2e-prompt.txt.
 */
async function revealWord(page: Page, frame: Frame, word: string): Promise<string> {
  const header = frame.locator('table[data-grid=ff1] button.token-header').filter({ hasText: new RegExp(`^␣?${word}$`) });
  if ((await header.count()) !== 1) throw new Error(`expected one FF1 column header "␣${word}", found ${await header.count()}`);
  await header.click({ timeout: 15_000 });
  const status = page.locator('[id="status.editor.selection"]');
  const text = await until(
    async () => ((await status.textContent({ timeout: 5000 }).catch(() => null)) ?? '').trim(),
    (t) => selectionCandidates(t).some((c) => c.trim() === word),
    30_000,
    (t) => `after clicking the "${word}" header the status bar says "${t}" (${JSON.stringify(selectionCandidates(t))}), expected "${word}" selected`,
  );
  const tab = ((await page.locator('.tabs-container .tab.active').first().textContent().catch(() => null)) ?? '').trim();
  if (!tab.includes(PROMPT_FILE)) throw new Error(`the active editor tab is "${tab}", expected ${PROMPT_FILE}`);
  return text;
}

interface Focused {
  grid: string | null;
  layer: string | null;
  pos: string | null;
  role: string | null;
  hasFocus: boolean;
}
const focused = (frame: Frame): Promise<Focused> =>
  frame.evaluate(() => {
    const a = document.activeElement;
    return {
      grid: a?.closest('table')?.getAttribute('data-grid') ?? null,
      layer: a?.closest('tr')?.getAttribute('data-layer') ?? null,
      pos: a?.getAttribute('data-pos') ?? null,
      role: a?.getAttribute('role') ?? null,
      hasFocus: document.hasFocus(),
    };
  });

interface Details {
  visible: boolean;
  head: string;
  headings: string[];
  tokens: string[];
  probs: string[];
}
const readDetails = (frame: Frame): Promise<Details> =>
  frame.evaluate(() => {
    const box = document.getElementById('cell-details') as HTMLElement | null;
    const r = box?.getBoundingClientRect();
    return {
      visible: !!box && !box.hidden && !!r && r.width > 0 && r.height > 0,
      head: box?.querySelector('.detail-head')?.textContent ?? '',
      headings: Array.from(box?.querySelectorAll('.detail-list h3') ?? []).map((e) => e.textContent ?? ''),
      tokens: Array.from(box?.querySelectorAll('.detail-list li code.token') ?? []).map((e) => e.textContent ?? ''),
      probs: Array.from(box?.querySelectorAll('.detail-list li .prob') ?? []).map((e) => e.textContent ?? ''),
    };
  });

/** Waits until #cell-details is visible for the cell at grid/layer/pos and lists its top-k and bottom-k tokens with probabilities. */
async function expectDetailsFor(frame: Frame, grid: string, layer: string, pos: string): Promise<Details> {
  const cell = frame.locator(`table[role=grid][data-grid=${grid}] tr[data-layer="${layer}"] td[role=gridcell][data-pos="${pos}"]`);
  const top = JSON.parse((await cell.getAttribute('data-top')) ?? '[]') as string[];
  const bottom = JSON.parse((await cell.getAttribute('data-bottom')) ?? '[]') as string[];
  if (!top.length || !bottom.length) throw new Error(`${grid} L${layer} pos ${pos}: empty data-top / data-bottom`);
  const head = `${grid.toUpperCase()} · layer ${layer} · position ${pos} `;
  return until(
    () => readDetails(frame),
    (d) =>
      d.visible &&
      d.head.startsWith(head) &&
      d.headings.some((x) => x === `top-${top.length}`) &&
      d.headings.some((x) => x === `bottom-${bottom.length}`) &&
      [...top, ...bottom].every((t) => d.tokens.includes(shown(t))) &&
      d.probs.length === top.length + bottom.length &&
      d.probs.every((p) => /^\d+(\.\d)?%$|^\d(\.\d)?e[-+]\d+$/.test(p.trim())),
    10_000,
    (d) => `#cell-details for ${head.trim()} (top ${JSON.stringify(top)}, bottom ${JSON.stringify(bottom)}) not shown; it is ${JSON.stringify(d)}`,
  );
}

interface Contrast {
  min: number;
  worst: string;
  count: number;
}
/**
 * The lowest WCAG contrast ratio between the text and the effective background (the
 * element's and its ancestors' backgrounds composited) of the elements matching `selector`.
 */
async function textContrast(frame: Frame, selector: string): Promise<Contrast> {
  return frame.evaluate((sel) => {
    const parse = (c: string): number[] => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) throw new Error(`cannot read colour ${c}`);
      const v = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
    };
    const over = (top: number[], under: number[]): number[] => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const lum = (c: number[]): number => {
      const [r, g, b] = c.slice(0, 3).map((x) => {
        const s = x / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let min = Infinity;
    let worst = '';
    const els = Array.from(document.querySelectorAll(sel)).filter((e) => (e.textContent ?? '').trim());
    for (const el of els) {
      const layers: number[][] = [];
      for (let e: Element | null = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
      let bg = [255, 255, 255, 1];
      for (const l of layers.reverse()) bg = over(l, bg);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < min) {
        min = ratio;
        worst = `"${el.textContent}" ${getComputedStyle(el).color} on ${`rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`}`;
      }
    }
    return { min, worst, count: els.length };
  }, selector);
}

async function expectReadable(frame: Frame, selector: string, what: string, minRatio = 4.5): Promise<Contrast> {
  const c = await textContrast(frame, selector);
  if (!c.count) throw new Error(`no ${what} (${selector}) to check`);
  if (c.min < minRatio) throw new Error(`${what} are unreadable: contrast ${c.min.toFixed(2)} < ${minRatio} for ${c.worst}`);
  return c;
}

/** The computed look of a button, to tell a pressed / checked one from the others. */
const look = (frame: Frame, selector: string): Promise<string> =>
  frame.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return `(no ${sel})`;
    const s = getComputedStyle(el);
    return [s.backgroundColor, s.color, s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, s.borderColor].join(' | ');
  }, selector);

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
      await page.locator(`.monaco-workbench.${WORKBENCH_CLASS[themeKey]}`).waitFor({ timeout: 30_000 });
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
      const expectBody = WEBVIEW_BODY_CLASS[themeKey];
      if (!info.bodyClass.includes(expectBody)) throw new Error(`webview body class "${info.bodyClass}", expected ${expectBody}`);
      const chips = await expectReadable(frame, '#result-header code.token', 'token chips in the header');
      log(`header token chips: ${chips.count}, lowest contrast ${chips.min.toFixed(1)} (${chips.worst})`);
      // The reading toggle is a radio group: the checked one must look different.
      const [checked, unchecked] = [await look(frame, '#reading-bottom'), await look(frame, '#reading-top')];
      if ((await frame.getAttribute('#reading-bottom', 'aria-checked')) !== 'true') throw new Error('#reading-bottom is not checked by default');
      if (checked === unchecked) throw new Error(`the checked reading button looks like the unchecked one: ${checked}`);
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

    await step('clicking the " little" column header selects "little" in the editor', async () => {
      const text = await revealWord(browser!.page, frame!, 'little');
      log(`status bar after the reveal: "${text}"`);
    });

    await step('hovering a cell shows #cell-details with its top-k and bottom-k tokens and probabilities', async () => {
      const page = browser!.page;
      const pos = String(tokens - 2);
      // Move the pointer off the grid first, so the hover is a fresh mouseover.
      await frame!.locator('#result-header h1').hover({ timeout: 15_000 });
      await until(() => readDetails(frame!), (d) => !d.visible, 5000, () => '#cell-details visible without a hovered cell');
      await frame!.locator(`table[data-grid=ff1] tr[data-layer="2"] td[role=gridcell][data-pos="${pos}"]`).hover({ timeout: 15_000 });
      const d = await expectDetailsFor(frame!, 'ff1', '2', pos);
      const chips = await expectReadable(frame!, '#cell-details code.token', 'token chips in #cell-details');
      log(`#cell-details chips: lowest contrast ${chips.min.toFixed(1)} (${chips.worst})`);
      log(`hover details: ${d.head.trim()} | ${d.headings.join(' / ')} | ${d.tokens.map((t, i) => `${t} ${d.probs[i]}`).join(', ')}`);
      await shoot(page, `e2e-${themeKey}-details`, frame);
    });

    await step('keyboard: a focused gridcell moves with ArrowRight / ArrowUp (focus shows #cell-details), Escape hides it', async () => {
      const page = browser!.page;
      const startPos = tokens - 3;
      await frame!.locator(`table[data-grid=ff1] tr[data-layer="2"] td[role=gridcell][data-pos="${startPos}"]`).click({ timeout: 15_000 });
      const at = (layer: string, pos: number) => (f: Focused) => f.grid === 'ff1' && f.role === 'gridcell' && f.layer === layer && f.pos === String(pos) && f.hasFocus;
      const where = (f: Focused) => `focus is on ${JSON.stringify(f)}`;
      await until(() => focused(frame!), at('2', startPos), 10_000, (f) => `clicking the cell did not focus it: ${where(f)}`);
      await page.keyboard.press('ArrowRight');
      await until(() => focused(frame!), at('2', startPos + 1), 5000, (f) => `ArrowRight: expected ff1 L2 pos ${startPos + 1}; ${where(f)}`);
      await expectDetailsFor(frame!, 'ff1', '2', String(startPos + 1));
      // Rows run from the last layer down: the row above layer 2 is layer 3.
      await page.keyboard.press('ArrowUp');
      await until(() => focused(frame!), at('3', startPos + 1), 5000, (f) => `ArrowUp: expected ff1 L3 pos ${startPos + 1}; ${where(f)}`);
      await expectDetailsFor(frame!, 'ff1', '3', String(startPos + 1));
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowDown');
      await until(() => focused(frame!), at('2', startPos), 5000, (f) => `ArrowLeft, ArrowDown: expected ff1 L2 pos ${startPos}; ${where(f)}`);
      const roving = await frame!.evaluate(() => Array.from(document.querySelectorAll('table[data-grid=ff1] [tabindex="0"]')).length);
      if (roving !== 1) throw new Error(`ff1 has ${roving} elements with tabindex=0; a grid keeps exactly one (roving tabindex)`);
      await page.keyboard.press('Escape');
      await until(() => readDetails(frame!), (d) => !d.visible, 5000, () => 'Escape did not hide #cell-details');
    });

    await step('#toggle-normalized re-runs with the normalized lens: aria-pressed, header "lens normalized", 5 rows × n cells', async () => {
      const page = browser!.page;
      const toggle = frame!.locator('#toggle-normalized');
      const before = await toggle.getAttribute('aria-pressed', { timeout: 15_000 });
      if (before !== 'false') throw new Error(`#toggle-normalized aria-pressed="${before}" before the toggle, expected "false"`);
      await toggle.click({ timeout: 15_000 });
      const probe = () =>
        frame!.evaluate(() => ({
          pressed: document.querySelector('#toggle-normalized')?.getAttribute('aria-pressed') ?? null,
          header: (document.querySelector('#result-header')?.textContent ?? '').replace(/\s+/g, ' '),
          status: document.getElementById('status')?.textContent ?? '',
          statusError: document.getElementById('status')?.classList.contains('error') ?? false,
        }));
      const v = await failFastOnErrorToast(
        page,
        until(
          probe,
          (x) => x.statusError || (x.pressed === 'true' && /lens normalized/.test(x.header)),
          120_000,
          (x) => `the panel never showed the normalized lens: ${JSON.stringify(x)}`,
        ),
      );
      if (v.statusError) throw new Error(`the panel reports an error: ${v.status}`);
      const info = await waitForGrids(frame!, 30_000);
      assertGrids(info, tokens);
      if (!(await frame!.locator('#rank-chart svg').count())) throw new Error('#rank-chart has no chart after the re-run');
      log(`re-run: ${/Loss mode ?(.*?) ?Prompt tokens/.exec(v.header)?.[1] ?? v.header.slice(0, 120)}`);
    });

    await step('after a window reload the serializer restores the panel (grids, normalized lens, reveal of " there")', async () => {
      const page = browser!.page;
      // "Developer: Reload Window" shuts the workbench down in order (it stores the editors'
      // and webviews' state first), as a reload in VS Code desktop does. A bare page.reload()
      // can outrun that save in the web build: then the panel comes back with the state the
      // workbench stored earlier (seen here: the paper lens after a toggle just before).
      const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60_000 });
      await runCommand(page, 'Developer: Reload Window');
      await reloaded;
      await page.locator(`.monaco-workbench.${WORKBENCH_CLASS[themeKey]}`).waitFor({ timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: 'Backward Lens:' }).first().waitFor({ timeout: 60_000 });
      const t0 = Date.now();
      const restored = await findWebviewFrame(page, 'table[data-grid=ff2] tr[data-layer]', 90_000, inEditorArea);
      const info = await waitForGrids(restored, 30_000);
      log(`restored panel grids after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(info.grids)}`);
      assertGrids(info, tokens);
      if (!info.bodyClass.includes(WEBVIEW_BODY_CLASS[themeKey])) throw new Error(`restored webview body class "${info.bodyClass}"`);
      const pressed = await restored.locator('#toggle-normalized').getAttribute('aria-pressed', { timeout: 15_000 });
      const header = ((await restored.locator('#result-header').textContent()) ?? '').replace(/\s+/g, ' ');
      if (pressed !== 'true' || !/lens normalized/.test(header)) throw new Error(`restored panel lost the normalized lens: aria-pressed="${pressed}"`);
      frame = restored;
      // The host side is attached again (not only the page's saved state): reveal still maps
      // tokens back into the editor, which needs the revived surface and the result's origin.
      const text = await failFastOnErrorToast(page, revealWord(page, restored, 'there'));
      log(`status bar after the reveal in the restored panel: "${text}"`);
      await shoot(page, `e2e-${themeKey}-restored`, restored);
    });

    await step('Save in the restored panel writes backward-lens/*.blens.json (normalized lens; parses, valid against the backward-lens/1 JSON Schema, one entry per layer)', async () => {
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
      // Saved from the restored panel, which shows the normalized re-run.
      if (json.lens?.normalized !== true) throw new Error(`saved lens ${JSON.stringify(json.lens)}, expected the normalized one the panel shows`);
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
  const themes = (process.env.BLENS_E2E_THEMES ?? 'dark,light,hc').split(',').map((s) => s.trim()).filter(Boolean);
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
