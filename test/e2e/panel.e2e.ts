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
 * the restored panel. Each theme also checks issue 13's points on the DOM (opening scroll, cues,
 * legends, ␣ in cells, empty cells, one rank in hover, cell and chart, contrast of every new
 * element); the first theme then runs the length check, a 26-token training text, a ≈120-token
 * prompt and the results list; last, a hostile vocabulary must render as text and run nothing.
 *
 * Run: `npm run test:e2e` (builds, then runs out/test/e2e/panel.e2e.js). Prints a closing
 * `N passed, N failed` line and exits non-zero on any failure.
 * Environment: BLENS_E2E_THEMES=dark|light|hc, comma-separated (default dark,light,hc), BLENS_EXTENSION_PATH
 * (another extension folder, e.g. an unpacked VSIX), BLENS_E2E_SETTINGS (JSON merged into
 * the user settings), BLENS_E2E_KEEP=1 (keep temp folders), BLENS_E2E_LAYERS (default 5).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import { CodeServer, copyToTemp, extensionUnderTest, repoRoot, startCodeServer } from './codeServer';
import { Browser, findWebviewFrame, inEditorArea, launchBrowser, sleep } from './browser';
import { validateResult } from '../../src/result/validate';
import { writeTinyGpt2 } from '../support/tinyModels';
import { clearScreenshots, log, results, runE2e, shoot, type Step, stepRunner } from './steps';
import { expectReadable } from './contrast';
import { ANALYZE, ANALYZE_TEXT, clickContextMenu, failFastOnErrorToast, openAndSelect, quickOpen, reloadWindow, runCommand, until } from './workbench';

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

const look = (frame: Frame, selector: string): Promise<string> =>
  frame.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return `(no ${sel})`;
    const s = getComputedStyle(el);
    return [s.backgroundColor, s.color, s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, s.borderColor].join(' | ');
  }, selector);


/** Waits until the frame's grids have `n` token headers (a result with n tokens is shown). */
async function waitForTokens(frame: Frame, n: number, timeoutMs = PANEL_TIMEOUT): Promise<void> {
  await until(
    () => frame.evaluate(() => document.querySelectorAll('table[data-grid=ff2] th[data-pos]').length),
    (count) => count === n,
    timeoutMs,
    (count) => `the panel shows ${count} tokens, expected ${n}`,
  );
}

/** The rank the hover shows for a cell and the chart's point for the same grid, layer and its default position. */
async function hoverAndChartRank(frame: Frame, grid: 'ff1' | 'ff2', layer: number, pos: number): Promise<{ hover: string; chart: string; cell: string | null }> {
  await frame.locator('#result-header h1').hover({ timeout: 15_000 });
  const cell = frame.locator(`table[role=grid][data-grid=${grid}] td[role=gridcell][data-layer="${layer}"][data-pos="${pos}"]`);
  await cell.hover({ timeout: 15_000 });
  const hover = await until(
    () => frame.evaluate(() => (document.getElementById('cell-details')?.hidden ? '' : (document.querySelector('#cell-details .detail-rank')?.textContent ?? ''))),
    (t) => t !== '',
    10_000,
    () => `no rank in #cell-details for ${grid} L${layer} pos ${pos}`,
  );
  const chart = await frame.evaluate(
    ({ grid, layer }) => document.querySelector(`#rank-chart table tr.s-${grid}:not(.s-selected) td[data-layer="${layer}"]`)?.textContent ?? '',
    { grid, layer },
  );
  return { hover, chart, cell: await cell.getAttribute('data-rank') };
}

/** What the grids' frames show: layout, the last loss column's place, the cues, the labels beside (not over) the cells. */
async function readFrames(frame: Frame, lastLoss: number) {
  return frame.evaluate((last) =>
    ['ff1', 'ff2'].map((g) => {
      const table = document.querySelector(`table[role=grid][data-grid=${g}]`) as HTMLTableElement;
      const block = table.closest('.grid-block') as HTMLElement;
      const scroller = table.closest('.grid-scroll') as HTMLElement;
      const s = scroller.getBoundingClientRect();
      const heads = Array.from(table.querySelectorAll('thead th[data-pos]')) as HTMLElement[];
      const lastHead = heads[last]?.getBoundingClientRect();
      const labels = block.querySelector('.row-labels')?.getBoundingClientRect();
      const cue = (c: string) => {
        const el = block.querySelector(`.cue-${c}`) as HTMLElement | null;
        return el && !el.hidden ? (el.textContent ?? '') : '';
      };
      return {
        grid: g,
        layout: table.dataset.layout ?? '',
        lastVisible: !!lastHead && lastHead.left >= s.left - 1 && lastHead.right <= s.right + 1,
        labelsBeside: !!labels && labels.right <= s.left + 1,
        hiddenBefore: heads.filter((h) => h.getBoundingClientRect().left < s.left - 1).length,
        hiddenAfter: heads.filter((h) => h.getBoundingClientRect().right > s.right + 1).length,
        cueBefore: cue('before'),
        cueAfter: cue('after'),
        legend: block.querySelector('.grid-legend')?.textContent ?? '',
        cellTexts: Array.from(table.querySelectorAll('td[role=gridcell] .cell-top, td[role=gridcell] .cell-bottom')).map((e) => e.textContent ?? ''),
      };
    }),
  lastLoss);
}

/** The cells no gradient reaches at `positions` in FF2 (all layers, or one): they must be empty and say so. */
async function readZeroCells(frame: Frame, selector: string) {
  return frame.evaluate((sel) =>
    Array.from(document.querySelectorAll(sel)).map((td) => ({
      zero: td.classList.contains('zero-cell'),
      text: td.textContent ?? '',
      lists: td.hasAttribute('data-top') || td.hasAttribute('data-bottom') || td.hasAttribute('data-rank'),
      label: td.getAttribute('aria-label') ?? '',
    })),
  selector);
}

/** Every new element's text must read in the theme (WCAG 4.5:1). */
async function expectNewElementsReadable(frame: Frame): Promise<string> {
  const checks: [string, string][] = [
    ['.grid-legend > span', 'grid legends'],
    ['.cue:not([hidden])', 'scroll cues'],
    ['.how-to-read summary', 'the "How to read this" summary'],
    ['#gradient-rank', 'the gradient-rank row'],
    ['.history-bar label, #history-select, #open-new-panel', 'the results list'],
    ['#reading-update, .toolbar-label, #layout-auto', 'the emphasis and layout controls'],
    ['#rank-chart .subtitle, #rank-chart .hint', 'the chart subtitle and hint'],
    ['.row-label', 'the layer labels'],
  ];
  const lines: string[] = [];
  for (const [selector, what] of checks) {
    // A grid that fits shows no cues.
    if (selector.startsWith('.cue') && !(await frame.locator(selector).count())) continue;
    const c = await expectReadable(frame, selector, what);
    lines.push(`${what} ${c.min.toFixed(1)}`);
  }
  await frame.click('.how-to-read summary');
  const p = await expectReadable(frame, '.how-to-read p', '"How to read this" paragraphs');
  lines.push(`how-to-read text ${p.min.toFixed(1)}`);
  await frame.click('.how-to-read summary');
  return lines.join(', ');
}

async function runTheme(themeKey: string, withExtras: boolean): Promise<void> {
  const theme = THEMES[themeKey];
  if (!theme) throw new Error(`unknown theme ${themeKey}`);
  const tag = `[${themeKey}]`;
  const workspace = copyToTemp(path.join(root, 'test', 'e2e', 'workspace'), 'blens-e2e-ws-');
  let extraSettings: Record<string, unknown> = {};
  if (process.env.BLENS_E2E_SETTINGS) extraSettings = JSON.parse(process.env.BLENS_E2E_SETTINGS);

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let frame: Frame | undefined;
  let tokens = 0;

  const step = stepRunner(tag, `e2e-${themeKey}-failure`, () => ({ browser, server }));

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
      const label = await clickContextMenu(page, PROMPT, ANALYZE);
      if (!label.startsWith('Backward Lens: ')) throw new Error(`the context-menu entry reads "${label}", expected it to start with "Backward Lens: "`);
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
      // By default bold is what the update writes: FF1's top, FF2's bottom.
      const [checked, unchecked] = [await look(frame, '#reading-update'), await look(frame, '#reading-top')];
      if ((await frame.getAttribute('#reading-update', 'aria-checked')) !== 'true') throw new Error('#reading-update is not checked by default');
      if (checked === unchecked) throw new Error(`the checked reading button looks like the unchecked one: ${checked}`);
      await sleep(500); // let fonts and norm colours settle for the screenshot
      await shoot(page, `e2e-${themeKey}-panel`, frame);
    });

    await step('the grids open at the last loss column with cues, labels beside the cells, a legend, ␣ in cells, empty cells where no gradient reaches', async () => {
      const last = tokens - 1; // paper mode: the loss sits at the last prompt position
      const frames = await readFrames(frame!, last);
      log(`grid frames: ${JSON.stringify(frames.map(({ cellTexts, legend, ...f }) => ({ ...f, cells: cellTexts.length, legend: legend.slice(0, 60) })))}`);
      for (const f of frames) {
        if (f.layout !== 'wide') throw new Error(`${f.grid}: layout ${f.layout}, expected layers as rows for ${tokens} tokens`);
        if (!f.lastVisible) throw new Error(`${f.grid}: the last loss column (${last}) is not in view when the panel opens`);
        if (!f.labelsBeside) throw new Error(`${f.grid}: the layer labels are not beside the scroller (they would cover cells)`);
        const before = f.hiddenBefore ? `◀ ${f.hiddenBefore} more tokens` : '';
        const after = f.hiddenAfter ? `${f.hiddenAfter} more ▶` : '';
        if (f.cueBefore !== before || f.cueAfter !== after) throw new Error(`${f.grid}: cues "${f.cueBefore}" / "${f.cueAfter}", expected "${before}" / "${after}"`);
        const bold = f.grid === 'ff1' ? 'bold: the top, what the update imprints' : 'bold: the bottom, what the update writes';
        for (const part of [`cell: top-1 \\ bottom-1 of LL(${f.grid === 'ff1' ? 'x_i' : 'δ_i'})`, bold, `rank from the ${f.grid === 'ff1' ? 'top' : 'bottom'}`]) {
          if (!f.legend.includes(part)) throw new Error(`${f.grid}: the legend "${f.legend}" does not say "${part}"`);
        }
        if (!f.cellTexts.some((t) => t.startsWith('␣'))) throw new Error(`${f.grid}: no cell shows a leading space as ␣: ${JSON.stringify(f.cellTexts.slice(0, 12))}`);
        if (f.cellTexts.some((t) => /^\s/.test(t))) throw new Error(`${f.grid}: a cell prints a plain leading space`);
      }
      // The last layer's δ is zero wherever no loss sits: every FF2 cell of layer 4 but the last.
      const zeros = await readZeroCells(frame!, `table[data-grid=ff2] td[data-layer="${LAYERS - 1}"]:not([data-pos="${last}"])`);
      if (zeros.length !== tokens - 1 || !zeros.every((z) => z.zero && z.text === '' && !z.lists && z.label.endsWith('no gradient reaches here'))) {
        throw new Error(`FF2 layer ${LAYERS - 1} cells without loss are not all empty and labelled: ${JSON.stringify(zeros.slice(0, 3))}`);
      }
      if (!frames[1].legend.includes('no gradient reaches here')) throw new Error('the FF2 legend does not explain the empty cells');
      const rank = await frame!.evaluate(() => ({ note: document.getElementById('gradient-rank')?.classList.contains('note'), title: document.getElementById('gradient-rank')?.title ?? '', text: document.getElementById('gradient-rank')?.textContent ?? '' }));
      log(`gradient rank: ${rank.text}`);
      if (rank.note !== false || !/expected \d+, 1 in the last layer/.test(rank.text) || !/98\.5/.test(rank.title)) throw new Error(`the gradient-rank row: ${JSON.stringify(rank)}`);
      log(`contrast: ${await expectNewElementsReadable(frame!)}`);
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
      // One rank per grid: the hover, the cell and the chart agree (FF2 counted from the bottom).
      for (const [grid, layer] of [['ff2', LAYERS - 1], ['ff2', 1], ['ff1', 2]] as const) {
        const r = await hoverAndChartRank(frame!, grid, layer, tokens - 1);
        log(`${grid} L${layer} rank: hover ${r.hover}, cell ${r.cell}, chart ${r.chart}`);
        if (r.hover !== r.chart || r.hover !== r.cell) throw new Error(`${grid} L${layer}: hover says rank ${r.hover}, the cell ${r.cell}, the chart ${r.chart}`);
      }
      const ff2Last = await hoverAndChartRank(frame!, 'ff2', LAYERS - 1, tokens - 1);
      if (ff2Last.hover !== '0') throw new Error(`the target is the bottom-1 token of FF2's last layer, so its rank from the bottom is 0, not ${ff2Last.hover}`);
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
      // Content scrolling under a resting pointer fires mouseover: the details stay with the focus.
      await frame!.evaluate(() => document.querySelector('table[data-grid=ff1] tr[data-layer="0"] td[data-pos="1"]')?.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })));
      await sleep(200);
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
      // stories260K's final norm is RMSNorm: the panel says that a barely changed grid is expected.
      const note = await frame!.evaluate(() => { const el = document.getElementById('lens-note'); return el && !el.hidden ? (el.textContent ?? '') : ''; });
      if (!/RMSNorm.*That is expected/.test(note)) throw new Error(`#lens-note after the normalized re-run: "${note}"`);
      await expectReadable(frame!, '#lens-note', 'the RMSNorm note');
      log(`re-run: ${/Loss mode ?(.*?) ?Prompt tokens/.exec(v.header)?.[1] ?? v.header.slice(0, 120)}`);
    });

    await step('after a window reload the serializer restores the panel (grids, normalized lens, reveal of " there")', async () => {
      const page = browser!.page;
      // Not page.reload(): seen here, it brought back the paper lens after a toggle just before.
      await reloadWindow(page);
      await page.locator(`.monaco-workbench.${WORKBENCH_CLASS[themeKey]}`).waitFor({ timeout: 60_000 });
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
      // No model is loaded yet after the reload: the status bar names the provider the restored result ran on.
      const item = page.locator('.statusbar-item', { hasText: 'stories260K' }).first();
      const statusText = await until(async () => ((await item.textContent().catch(() => null)) ?? '').trim(), (t) => /CPU|CUDA/.test(t), 30_000, (t) => `the status bar says "${t}" after the reload, expected the provider that ran`);
      log(`status bar after the reload: "${statusText}"`);
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
      const page = browser!.page;
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'saved' }).first();
      await toast.waitFor({ timeout: 15_000 });
      const message = ((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim();
      const buttons = (await toast.locator('.monaco-button').allTextContents()).map((b) => b.trim());
      log(`save notification: "${message}" [${buttons.join(', ')}]`);
      const base = path.basename(file, '.blens.json');
      if (!message.includes(`${base}.blens.json and ${base}.md`)) throw new Error(`the save notification "${message}" does not name both files`);
      if (!['Open Result', 'Open Report'].every((b) => buttons.includes(b))) throw new Error(`the save notification offers ${JSON.stringify(buttons)}`);
    });

    await step('reopening the .blens.json shows the grid in the custom editor', async () => {
      const page = browser!.page;
      await runCommand(page, 'View: Close All Editors');
      await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
      await quickOpen(page, path.basename(savedFile!));
      const reopened = await findWebviewFrame(page, 'table[data-grid=ff1] tr[data-layer]', 90_000, inEditorArea);
      const tab = page.locator('.tabs-container .tab.active');
      const tabLabel = (await tab.textContent())?.trim() ?? '';
      if (!tabLabel.includes('.blens.json')) throw new Error(`active editor tab is "${tabLabel}", expected the .blens.json custom editor`);
      const info = await waitForGrids(reopened, 30_000);
      assertGrids(info, tokens);
      await sleep(500);
      await shoot(page, `e2e-${themeKey}-reopened`, reopened);
    });
    if (withExtras) await runExtras(step, () => browser!.page, themeKey);
  } finally {
    savedFile = undefined;
    await browser?.close();
    await server?.stop();
    if (!process.env.BLENS_E2E_KEEP) fs.rmSync(workspace, { recursive: true, force: true });
  }
}
let savedFile: string | undefined;

const STORY_26 = 'Lily and her mom went to the park. Lily saw a big red ball and she wanted to';
const STORY_120 = fs.readFileSync(path.join(root, 'test', 'e2e', 'workspace', 'story-long.txt'), 'utf8').split('\n')[0];

/** The input box that asks for the target, by its title. */
const targetBox = (page: Page) => page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: 'Backward Lens: target' }) });

/**
 * Once, in the first theme's session: the length check before the target box, a training-text
 * analysis (its rank row, chart start, target row, empty last column), a ≈120-token prompt, and
 * this session's results: an earlier one shown again and kept in a panel of its own.
 */
async function runExtras(step: Step, getPage: () => Page, themeKey: string): Promise<void> {
  let frame: Frame | undefined;

  await step('a 176-token selection is refused before the target box, naming the limit and backwardLens.maxTokens once', async () => {
    const page = getPage();
    await runCommand(page, 'View: Close All Editors');
    await openAndSelect(page, 'story-long.txt', STORY_120, 'all');
    await clickContextMenu(page, STORY_120.slice(0, 30), ANALYZE);
    // The message element itself, read by polling: a toast re-renders while it slides in.
    const messages = page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'backwardLens.maxTokens' });
    const pattern = /The selection is (\d+) tokens; at most 128 are allowed by the backwardLens\.maxTokens setting\. Select less text, or raise backwardLens\.maxTokens/;
    const message = await until(
      async () => ((await messages.allTextContents()).join(' | ')).trim(),
      (text) => pattern.test(text),
      120_000,
      (text) => `no length notification naming backwardLens.maxTokens; the toasts read "${text}"`,
    );
    log(`length notification: "${message}"`);
    // 176 tokens, one more for the file's last line break.
    const count = Number(pattern.exec(message)?.[1]);
    if (!(count >= 176)) throw new Error(`the length message reads "${message}"`);
    if (await targetBox(page).isVisible()) throw new Error('the target box opened for a selection that is too long');
    // The toast's own close button shows only under the mouse; the command clears it for sure.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await messages.first().waitFor({ state: 'detached', timeout: 15_000 });
  });

  await step('training text (26 tokens): the rank row has no warning, the chart starts at the last loss position, the target row names the selection, the last column is empty', async () => {
    const page = getPage();
    await openAndSelect(page, 'story.txt', STORY_26, 'line');
    await clickContextMenu(page, STORY_26.slice(0, 30), ANALYZE_TEXT);
    frame = await failFastOnErrorToast(page, findWebviewFrame(page, 'table[data-grid=ff2] td[role=gridcell]', PANEL_TIMEOUT, inEditorArea));
    await waitForTokens(frame, 26);
    const facts = await frame.evaluate(() => ({
      rank: document.getElementById('gradient-rank')?.textContent ?? '',
      note: document.getElementById('gradient-rank')?.classList.contains('note') ?? true,
      header: (document.getElementById('result-header')?.textContent ?? '').replace(/\s+/g, ' '),
      chart: document.querySelector('#rank-chart h2')?.textContent ?? '',
    }));
    log(`training text: ${facts.rank} | ${facts.chart}`);
    if (facts.note || !/expected 25 in every layer/.test(facts.rank)) throw new Error(`the rank row of a correct training-text result: ${JSON.stringify(facts.rank)} (note: ${facts.note})`);
    if (!/Target ?the selection itself \(26 tokens/.test(facts.header)) throw new Error(`the Target row: ${facts.header.slice(0, 400)}`);
    if (!/at position 24, the last that carries loss/.test(facts.chart)) throw new Error(`the chart does not start at the last loss position: ${facts.chart}`);
    const zeros = await readZeroCells(frame, 'table[data-grid=ff2] td[data-pos="25"]');
    if (zeros.length !== LAYERS || !zeros.every((z) => z.zero && z.text === '' && !z.lists)) throw new Error(`FF2's last column (no loss after it) is not empty: ${JSON.stringify(zeros)}`);
    const r = await hoverAndChartRank(frame, 'ff2', LAYERS - 1, 24);
    if (r.hover !== r.chart || r.chart === '—') throw new Error(`FF2 L${LAYERS - 1} pos 24: hover rank ${r.hover}, chart ${r.chart}`);
    await frame.locator('#result-header h1').hover();
    await sleep(500);
    await shoot(page, `e2e-${themeKey}-story26-panel`, frame);
  });

  await step('a ≈120-token prompt opens in the compact layout (tokens as rows), switchable to layers as rows with cues', async () => {
    const page = getPage();
    await openAndSelect(page, 'story-long.txt', STORY_120, 'line');
    await clickContextMenu(page, STORY_120.slice(0, 30), ANALYZE);
    const input = page.locator('.quick-input-widget input').first();
    await failFastOnErrorToast(page, input.waitFor({ state: 'visible', timeout: 120_000 }));
    if (!(await targetBox(page).isVisible())) throw new Error('the quick input that opened is not the target box');
    await input.fill('play');
    await sleep(100);
    await page.keyboard.press('Enter');
    await waitForTokens(frame!, 120);
    const layout = await frame!.evaluate(() => document.querySelector('table[data-grid=ff1]')?.getAttribute('data-layout'));
    if (layout !== 'compact') throw new Error(`120 tokens are shown in the ${layout} layout, expected tokens as rows`);
    await sleep(500);
    await shoot(page, `e2e-${themeKey}-story120-panel`, frame);
    await frame!.click('#layout-wide');
    await until(() => frame!.evaluate(() => document.querySelector('table[data-grid=ff1]')?.getAttribute('data-layout')), (l) => l === 'wide', 10_000, (l) => `layout ${l} after choosing layers as rows`);
    const frames = await readFrames(frame!, 119);
    if (!frames.every((f) => f.lastVisible && f.cueBefore.startsWith('◀ '))) throw new Error(`the wide 120-token grids: ${JSON.stringify(frames.map(({ cellTexts, legend, ...f }) => f))}`);
    await sleep(300);
    await shoot(page, `e2e-${themeKey}-story120-wide`, frame);
    await frame!.click('#layout-auto');
  });

  await step('this session’s results stay reachable: the list shows an earlier one again, and "Open in new panel" keeps it beside the next', async () => {
    const page = getPage();
    const options = await frame!.evaluate(() => Array.from(document.querySelectorAll('#history-select option'), (o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));
    log(`results list: ${JSON.stringify(options.map((o) => o.label))}`);
    const earlier = options.find((o) => o.label.includes('training text'));
    if (options.length < 3 || !earlier) throw new Error(`the results list has ${options.length} entries: ${JSON.stringify(options)}`);
    await frame!.selectOption('#history-select', earlier.value);
    await waitForTokens(frame!, 26, 30_000);
    await frame!.click('#open-new-panel');
    const tabs = page.locator('.tabs-container .tab', { hasText: 'Backward Lens:' });
    await until(() => tabs.count(), (n) => n >= 2, 30_000, (n) => `${n} Backward Lens panel tabs after "Open in new panel"`);
    log(`panel tabs: ${JSON.stringify(await tabs.allTextContents())}`);
  });
}

/** The hostile vocabulary's pieces: markup, bidi controls, NUL and lone surrogates. */
const HOSTILE = ['<script>', '</script>', '<img src=x onerror="document.documentElement.dataset.pwned=1">', '</div>', '\u202e', '\u2066', '\u0000', '\ud800', '\udfff'];
/** Text that uses the pieces a text file can hold (not NUL, not lone surrogates: those come up in the cells' top-k and bottom-k). */
const HOSTILE_TEXT = `the cat ${HOSTILE[0]}alert(1)${HOSTILE[1]} sat on ${HOSTILE[3]} the ${HOSTILE[4]}mat ${HOSTILE[2]} a ${HOSTILE[5]}dog`;

/**
 * A tiny GPT-2 whose vocabulary holds markup, bidi overrides, NUL and lone surrogates, set as
 * backwardLens.modelPath through the user settings, with top-k covering its whole vocabulary:
 * every piece must show as visible text, and the payload's flag must stay unset.
 */
async function runHostile(): Promise<void> {
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-hostile-model-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-hostile-ws-'));
  writeTinyGpt2(modelDir, { extraPieces: HOSTILE });
  fs.writeFileSync(path.join(workspace, 'hostile.txt'), `${HOSTILE_TEXT}\n`);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const name = '[hostile] a vocabulary of <script>, <img onerror>, </div>, bidi overrides, NUL and lone surrogates renders as text and runs nothing';
  const t0 = Date.now();
  try {
    server = await startCodeServer({
      extensionPaths: [extensionUnderTest()],
      userSettings: { 'workbench.colorTheme': THEMES.dark, 'backwardLens.modelPath': modelDir, 'backwardLens.topK': 256, 'backwardLens.executionProvider': 'cpu' },
      keep: !!process.env.BLENS_E2E_KEEP,
    });
    browser = await launchBrowser();
    const page = browser.page;
    await page.goto(server.folderUrl(workspace), { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await openAndSelect(page, 'hostile.txt', HOSTILE_TEXT, 'line');
    await clickContextMenu(page, 'the cat', ANALYZE_TEXT);
    const frame = await failFastOnErrorToast(page, findWebviewFrame(page, 'table[data-grid=ff2] td[role=gridcell]', PANEL_TIMEOUT, inEditorArea));
    const shownPieces = HOSTILE.map((p) => shownHostile(p));
    const seen = await frame.evaluate((pieces) => {
      const header = document.getElementById('result-header')?.textContent ?? '';
      const heads = Array.from(document.querySelectorAll('table[data-grid=ff1] .token-header'), (e) => e.textContent ?? '').join(' ');
      return {
        pwned: document.documentElement.dataset.pwned ?? null,
        images: document.querySelectorAll('img, iframe, object, embed').length,
        // VS Code's own bootstrap script and the panel's bundle are the page's only scripts.
        hostileScripts: Array.from(document.scripts).filter((script) => /pwned|alert/.test(`${script.src} ${script.textContent}`)).length,
        inHeader: pieces.filter((p) => header.includes(p)),
        inHeads: pieces.filter((p) => heads.includes(p)),
      };
    }, shownPieces);
    log(`hostile: ${JSON.stringify(seen)}`);
    await sleep(500);
    await shoot(page, 'e2e-hostile-panel', frame);
    // A cell with a gradient lists the whole vocabulary (top-k 256 of 314 tokens, both ends).
    const cell = frame.locator('table[data-grid=ff1] td[role=gridcell][data-layer="0"][data-pos="2"]');
    await cell.hover({ timeout: 15_000 });
    const details = await until(() => frame.evaluate(() => document.getElementById('cell-details')?.textContent ?? ''), (t) => t.length > 0, 10_000, () => 'no details');
    const raw = JSON.parse((await cell.getAttribute('data-top')) ?? '[]').concat(JSON.parse((await cell.getAttribute('data-bottom')) ?? '[]')) as string[];
    const missingRaw = HOSTILE.filter((p) => !raw.includes(p));
    const missingShown = shownPieces.filter((p) => !details.includes(p));
    const textPieces = shownPieces.filter((_, i) => i !== 6 && i !== 7 && i !== 8);
    const problems = [
      seen.pwned !== null ? 'the payload ran (its flag is set)' : '',
      seen.images || seen.hostileScripts ? `the page holds ${seen.images} img/iframe/object/embed and ${seen.hostileScripts} hostile script elements` : '',
      textPieces.some((p) => !seen.inHeader.includes(p)) ? `the header misses ${JSON.stringify(textPieces.filter((p) => !seen.inHeader.includes(p)))}` : '',
      textPieces.some((p) => !seen.inHeads.includes(p)) ? `the column headers miss ${JSON.stringify(textPieces.filter((p) => !seen.inHeads.includes(p)))}` : '',
      missingRaw.length ? `the cell's lists miss ${JSON.stringify(missingRaw)}` : '',
      missingShown.length ? `#cell-details does not show ${JSON.stringify(missingShown)}` : '',
    ].filter(Boolean);
    if (problems.length) throw new Error(problems.join('; '));
    results.push({ name, outcome: 'pass', ms: Date.now() - t0 });
    log(`PASS ${name}`);
  } catch (err) {
    results.push({ name, outcome: 'fail', ms: Date.now() - t0 });
    log(`FAIL ${name}: ${(err as Error).stack ?? err}`);
    if (browser) await shoot(browser.page, 'e2e-hostile-failure').catch(() => undefined);
    if (server) console.log(`--- code-server log (${server.logFile}), last lines ---\n${server.logTail(60)}\n---`);
  } finally {
    await browser?.close();
    await server?.stop();
    if (!process.env.BLENS_E2E_KEEP) for (const d of [modelDir, workspace]) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** How the UI shows a hostile piece: visibleToken's escapes for controls, bidi marks and lone surrogates. */
const shownHostile = (text: string): string =>
  shown(text.replace(/[\u0000-\u001f\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

async function main(): Promise<void> {
  const themes = (process.env.BLENS_E2E_THEMES ?? 'dark,light,hc').split(',').map((s) => s.trim()).filter(Boolean);
  log(`extension: ${extensionUnderTest()}; themes: ${themes.join(', ')}`);
  clearScreenshots(/^e2e-(?!experiments-).*\.png$/);
  for (const [i, t] of themes.entries()) await runTheme(t, i === 0);
  await runHostile();
}

runE2e(main);
