/**
 * Driving the VS Code workbench from Playwright, shared by the browser end-to-end tests:
 * the command palette, the editor's selection and context menu, and waits that fail fast on an
 * error notification. Gotchas behind each wait: ../shared/notes/vscode-e2e-offline.md.
 */
import { Page } from 'playwright-core';
import { sleep } from './browser';
import { log } from './steps';

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

/**
 * Reloads the window with "Developer: Reload Window", which stores the editors' and webviews'
 * state first, as a reload in VS Code desktop does; a bare page.reload() can outrun that save in
 * the web build, and the panel comes back with state stored earlier. Resolves once a Backward
 * Lens tab is back.
 */
export async function reloadWindow(page: Page): Promise<void> {
  const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60_000 });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.tabs-container .tab', { hasText: 'Backward Lens:' }).first().waitFor({ timeout: 60_000 });
}
