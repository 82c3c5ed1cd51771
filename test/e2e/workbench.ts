/**
 * What the browser end-to-end tests share: driving VS Code's workbench (commands, the editor's
 * context menu, a selection, quick open), waiting, contrast checks, screenshots into artifacts/,
 * and the closing `N passed, N failed` summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import { sleep } from './browser';
import { repoRoot } from './codeServer';

export const artifacts = path.join(repoRoot(), 'artifacts');
/** Every screenshot this run took, for the summary. */
export const screenshots: string[] = [];

export function log(msg: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/**
 * Resolves with `work`, or rejects as soon as VS Code shows an error notification (the
 * extension reports failures that way), with its text, instead of waiting out a timeout.
 */
export async function failFastOnErrorToast<T>(page: Page, work: Promise<T>): Promise<T> {
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

export async function shoot(page: Page, name: string, frame?: Frame): Promise<void> {
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
export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, describe: (v: T) => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(describe(v));
    await sleep(200);
    v = await probe();
  }
  return v;
}

export interface Contrast {
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
      // color-mix() computes to color(srgb r g b / a), channels from 0 to 1.
      const srgb = /color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)/.exec(c);
      if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
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

export async function expectReadable(frame: Frame, selector: string, what: string, minRatio = 4.5): Promise<Contrast> {
  const c = await textContrast(frame, selector);
  if (!c.count) throw new Error(`no ${what} (${selector}) to check`);
  if (c.min < minRatio) throw new Error(`${what} are unreadable: contrast ${c.min.toFixed(2)} < ${minRatio} for ${c.worst}`);
  return c;
}

/** Opens the command palette and runs a command by its label. */
export async function runCommand(page: Page, label: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${label}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
  await sleep(200);
  await page.keyboard.press('Enter');
}

/**
 * Right-clicks the selection in the editor showing `snippet` and clicks the context-menu entry
 * whose label matches `label`; returns that label (it must name Backward Lens).
 */
export async function clickContextMenu(page: Page, snippet: string, label: RegExp): Promise<string> {
  const editor = page.locator('.editor-instance .monaco-editor', { has: page.locator('.view-line', { hasText: snippet }) }).first();
  // The text area itself: .view-lines moves left when a long line scrolls the editor sideways.
  const box = await editor.locator('.editor-scrollable').first().boundingBox();
  if (!box) throw new Error('editor has no box');
  const menu = page.locator('.context-view .monaco-menu').first();
  // Gotcha (notes): the item ignores an immediate click; wait, hover, click with a delay.
  // The item's accessible name includes its keybinding: match the label element instead.
  const item = page.getByRole('menuitem').filter({ has: page.locator('.action-label', { hasText: label }) }).first();
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
      if (Date.now() > menuDeadline) throw new Error(`the editor context menu never offered ${label}`);
      log(`context menu has no ${label} yet (extension host still starting?); reopening it`);
      await page.keyboard.press('Escape');
      await sleep(1500);
    }
  }
  const text = ((await item.locator('.action-label').first().textContent()) ?? '').trim();
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
      if (attempt >= 4) throw new Error(`the context menu ignored 4 clicks on ${label}`);
      log(`context menu still open after click ${attempt}; clicking again`);
    }
  }
  return text;
}

export const ANALYZE = /^\s*(Backward Lens: )?Analyze Selection\s*$/;

export const ANALYZE_TEXT = /^\s*(Backward Lens: )?Analyze Selection as Training Text\s*$/;

/**
 * Opens `file` from the explorer and selects its first line (Ctrl+Home, Shift+End) or the whole
 * file (Ctrl+A), re-applied until the status bar confirms it: a late selection event can undo it.
 */
export async function openAndSelect(page: Page, file: string, firstLine: string, select: 'line' | 'all'): Promise<void> {
  const item = page.getByRole('treeitem', { name: file }).first();
  await item.waitFor({ timeout: 60_000 });
  await item.click();
  await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 30_000 });
  const snippet = firstLine.slice(0, 30);
  const editor = page.locator('.editor-instance .monaco-editor', { has: page.locator('.view-line', { hasText: snippet }) }).first();
  await editor.waitFor({ timeout: 30_000 });
  await editor.locator('.view-lines').click();
  const status = page.locator('[id="status.editor.selection"]');
  const selected = select === 'line' ? `(${firstLine.length} selected)` : /\(\d+ selected\)/;
  for (let i = 0; ; i++) {
    if (select === 'all') await page.keyboard.press('Control+A');
    else {
      // From the line's end back to its start: the cursor ends at the start, so a long line stays scrolled to it.
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('End');
      await page.keyboard.press('Shift+Home');
    }
    try {
      await status.filter({ hasText: selected }).waitFor({ timeout: 3000 });
      return;
    } catch {
      if (i >= 4) throw new Error(`selection in ${file} not confirmed; status bar says "${await status.textContent().catch(() => '?')}"`);
      await editor.locator('.view-lines').click();
    }
  }
}

/** Opens `file` (a name quick open finds) with Ctrl+P; a file just written may take the file search a few seconds to list. */
export async function quickOpen(page: Page, file: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: file }).first();
  for (let attempt = 1; ; attempt++) {
    await input.fill(file);
    try {
      await row.waitFor({ timeout: 5000 });
      break;
    } catch (err) {
      if (attempt >= 6) throw err;
      await input.fill('');
      await sleep(1000);
    }
  }
  await sleep(200);
  await page.keyboard.press('Enter');
}

export type Outcome = 'pass' | 'fail' | 'skip';
export interface StepResult {
  name: string;
  outcome: Outcome;
  ms: number;
}

/** Removes the screenshots of earlier runs whose names match `pattern`: artifacts/ describes this run only. */
export function clearScreenshots(pattern: RegExp): void {
  if (!fs.existsSync(artifacts)) return;
  for (const f of fs.readdirSync(artifacts)) if (pattern.test(f)) fs.rmSync(path.join(artifacts, f));
}

/** Runs a test's steps, prints the summary and exits with its code; an error outside every step counts as one failure. */
export function runSteps(results: StepResult[], steps: () => Promise<void>): void {
  const startedAt = Date.now();
  steps().then(
    () => process.exit(summarize(results, startedAt)),
    (err) => {
      console.error(err);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}

/** Prints every step's outcome, the screenshots and the closing `N passed, N failed` line; returns the exit code. */
function summarize(results: StepResult[], startedAt: number): number {
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const skipped = results.filter((r) => r.outcome === 'skip').length;
  console.log('');
  for (const r of results) console.log(`${r.outcome === 'pass' ? 'ok  ' : r.outcome === 'fail' ? 'FAIL' : 'skip'} ${r.name}`);
  if (screenshots.length) console.log(`\nscreenshots:\n${screenshots.map((s) => `  ${s}`).join('\n')}`);
  console.log(`\ne2e took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  if (skipped) console.log(`(${skipped} steps not run after an earlier failure are counted as failed)`);
  console.log(`${passed} passed, ${failed + skipped} failed`);
  return failed + skipped > 0 || passed === 0 ? 1 : 0;
}
