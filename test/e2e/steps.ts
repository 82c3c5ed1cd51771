/**
 * The browser end-to-end tests' steps and report: each step passes, fails (with a screenshot
 * and code-server's last log lines) or is skipped after an earlier failure; screenshots go to
 * artifacts/; the closing line reads `N passed, N failed` and the exit code follows it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Frame, Locator, Page } from 'playwright-core';
import type { Browser } from './browser';
import { CodeServer, repoRoot } from './codeServer';

export const artifacts = path.join(repoRoot(), 'artifacts');
const screenshots: string[] = [];

type Outcome = 'pass' | 'fail' | 'skip';
export const results: { name: string; outcome: Outcome; ms: number; error?: string }[] = [];

export function log(msg: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Screenshots in artifacts/ describe the latest run only: removes the earlier ones whose names match. */
export function clearScreenshots(names: RegExp): void {
  if (!fs.existsSync(artifacts)) return;
  for (const f of fs.readdirSync(artifacts)) if (names.test(f)) fs.rmSync(path.join(artifacts, f));
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

/** Screenshots one element of a page or webview (`locator`), scrolled into view. */
export async function shootElement(locator: Locator, name: string): Promise<void> {
  fs.mkdirSync(artifacts, { recursive: true });
  const full = path.join(artifacts, `${name}.png`);
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: full });
  screenshots.push(full);
  log(`screenshot: ${full}`);
}

export type Step = (name: string, fn: () => Promise<void>) => Promise<void>;

/**
 * Runs steps named `${tag} name` in order; after a failure, which is shot as `${failureShot}`
 * with code-server's log tail, the later ones are skipped.
 */
export function stepRunner(tag: string, failureShot: string, session: () => { browser?: Browser; server?: CodeServer }): Step {
  let failed = false;
  return async (name, fn) => {
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
      results.push({ name: full, outcome: 'fail', ms: Date.now() - t0, error: (err as Error).message ?? String(err) });
      log(`FAIL ${full}: ${(err as Error).stack ?? err}`);
      const { browser, server } = session();
      if (browser) await shoot(browser.page, failureShot).catch(() => undefined);
      if (server) console.log(`--- code-server log (${server.logFile}), last lines ---\n${server.logTail(60)}\n---`);
    }
  };
}

/** Prints every step's outcome, the screenshots and the closing `N passed, N failed`, then exits with its verdict. */
export function finish(t0: number): never {
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const skipped = results.filter((r) => r.outcome === 'skip').length;
  console.log('');
  for (const r of results) console.log(`${r.outcome === 'pass' ? 'ok  ' : r.outcome === 'fail' ? 'FAIL' : 'skip'} ${r.name}`);
  if (screenshots.length) console.log(`\nscreenshots:\n${screenshots.map((s) => `  ${s}`).join('\n')}`);
  // Again at the end, where a CI log's tail keeps it: the reason, not just the step's name.
  for (const r of results) if (r.error) console.log(`\nFAIL ${r.name}:\n  ${r.error.split('\n').slice(0, 6).join('\n  ')}`);
  console.log(`\ne2e took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (skipped) console.log(`(${skipped} steps not run after an earlier failure are counted as failed)`);
  console.log(`${passed} passed, ${failed + skipped} failed`);
  return process.exit(failed + skipped > 0 || passed === 0 ? 1 : 0);
}

/** Runs an e2e test's steps, then prints its verdict; an error outside every step counts as one failure. */
export function runE2e(steps: () => Promise<void>): void {
  const t0 = Date.now();
  steps().then(
    () => finish(t0),
    (err) => {
      console.error(err);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
