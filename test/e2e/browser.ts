/**
 * Headless Debian Chromium driven by playwright-core, set up the way that works on our
 * offline machines (../shared/notes/vscode-e2e-offline.md): the system browser, a fresh
 * persistent profile, and no background networking.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Frame, Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(p)) throw new Error(`${p} not found: run scripts/setup-test-tools.sh (apt chromium)`);
  return p;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1600, height: 1000 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: path.join(profile, '.config'), XDG_CACHE_HOME: path.join(profile, '.cache') } as Record<string, string>,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Webview content sits two iframes deep: `iframe.webview.ready` (VS Code's host frame) →
 * `#active-frame` (the extension's HTML). Polls all frames for an inner one that holds
 * `selector` and passes `accept` (e.g. {@link inEditorArea}).
 */
export async function findWebviewFrame(
  page: Page,
  selector: string,
  timeoutMs: number,
  accept: (frame: Frame) => Promise<boolean> = async () => true,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const host = frame.parentFrame();
      if (!host || host === page.mainFrame()) continue; // want the inner (#active-frame) one
      try {
        if ((await frame.$(selector)) && (await accept(frame))) return frame;
      } catch {
        /* frame detached while looking */
      }
    }
    if (Date.now() > deadline) {
      const urls = page.frames().map((f) => `  ${f.url().slice(0, 160)}`).join('\n');
      throw new Error(`no webview frame with ${selector} after ${timeoutMs} ms; frames:\n${urls}`);
    }
    await sleep(250);
  }
}

/**
 * True when the webview's host iframe sits over the editor area (a webview panel or custom
 * editor), not over the panel area or a sidebar (a webview view). VS Code lays webview
 * iframes out in an overlay positioned over their owner, so compare boxes.
 */
export async function inEditorArea(frame: Frame): Promise<boolean> {
  const host = frame.parentFrame();
  if (!host) return false;
  const page = frame.page();
  const hostEl = await host.frameElement();
  const [box, editor] = await Promise.all([hostEl.boundingBox(), page.locator('.part.editor').first().boundingBox()]);
  if (!box || !editor || box.width < 10 || box.height < 10) return false;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return cx >= editor.x && cx <= editor.x + editor.width && cy >= editor.y && cy <= editor.y + editor.height;
}
