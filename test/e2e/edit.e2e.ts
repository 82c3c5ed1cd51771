/**
 * End-to-end test of the panel's edit preview and sweep in a real VS Code build (code-server)
 * in a real browser, as panel.e2e.ts drives it:
 *   select "Once upon a time, there was a little girl named" → Analyze Selection → target "Tom"
 *   on stories260K → open the edit preview → add two neighbour prompts and remove one → one SGD
 *   step on layers 3 and 4, then the paper's forward-pass shift at layer 4, η 0.3 (the CLI's
 *   `edit` says it makes " T" the argmax) → the before/after read-outs in the DOM equal the
 *   CLI's JSON for the same edits →
 *   Revert → the original read-out is back (the model's own top-k, as the analysis predicted)
 *   → a sweep over the default η grid → its chart and table equal the CLI's `edit --sweep` →
 *   Neurons re-runs the analysis and keeps the edits (the latest read-out and the sweep) →
 *   Save → the file holds the neuron view, the two previews and the sweep → SGD and η 2 typed,
 *   the window reloaded → the form's method, η and neighbour prompts and the read-outs are back
 *   → reopen the file in the custom editor → the latest preview and the sweep are shown again.
 * Screenshots go to artifacts/edit-<theme>-*.png.
 *
 * Run: `npm run test:e2e:edit`. Prints a closing `N passed, N failed` line and exits non-zero
 * on any failure. Environment: BLENS_E2E_THEMES=dark|light|hc, comma-separated (default dark,light),
 * BLENS_E2E_KEEP=1 (keep temp folders).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import type { EditResult, EditSweepResult, NextTokenReadout } from '../../src/engine/api';
import { previewTitle, rankWords, smallestEtaWords } from '../../src/result/editView';
import { validateResult } from '../../src/result/validate';
import { formatProb, visibleToken } from '../../src/result/view';
import { DEFAULT_ETA_GRID } from '../../src/webview/editForm';
import { Browser, findWebviewFrame, inEditorArea, launchBrowser, sleep } from './browser';
import { CodeServer, copyToTemp, extensionUnderTest, repoRoot, startCodeServer } from './codeServer';
import { clearScreenshots, log, runE2e, shootElement, stepRunner } from './steps';
import { ANALYZE, clickContextMenu, failFastOnErrorToast, openAndSelect, quickOpen, reloadWindow, runCommand, until } from './workbench';

// `node --test out/test/` runs every file under out/test: this one only runs on purpose.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const PROMPT = 'Once upon a time, there was a little girl named';
const TARGET = 'Tom';
const PROMPT_FILE = 'e2e-prompt.txt';
/** A paraphrase, whose target should move; an unrelated prompt, whose target should not; one added and removed again. */
const [PARAPHRASE, UNRELATED, REMOVED] = ['Once upon a time, there was a little boy named', 'The sun was hot and the sky was', 'This neighbour is added and removed again'];
const EDIT = { method: 'forward-shift', layer: 4, eta: 0.3 } as const;
const SGD = { layers: [3, 4], eta: 1 } as const;
const PANEL_TIMEOUT = 180_000;
const THEMES: Record<string, string> = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' };

const root = repoRoot();

/** What the CLI says the same edit and sweep do: the reference the panel must show. */
interface Reference {
  sgd: EditResult;
  edit: EditResult;
  sweep: EditSweepResult;
}

function cliRuns(): Reference {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-edit-e2e-'));
  const cli = (args: string[], file: string) => {
    execFileSync(process.execPath, [path.join(root, 'out', 'src', 'cli', 'main.js'), 'edit', '--prompt', PROMPT, '--target', TARGET, ...args, '--json', file], { stdio: 'pipe' });
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  };
  const neighbours = ['--neighbour', PARAPHRASE, '--neighbour', UNRELATED];
  const sgd = cli(['--method', 'sgd', '--layers', SGD.layers.join(','), '--eta', String(SGD.eta), ...neighbours], path.join(dir, 'sgd.json'));
  const edit = cli(['--method', EDIT.method, '--layer', String(EDIT.layer), '--eta', String(EDIT.eta), ...neighbours], path.join(dir, 'edit.json'));
  const sweep = cli(['--method', EDIT.method, '--sweep', '--eta', DEFAULT_ETA_GRID.join(',')], path.join(dir, 'sweep.json'));
  fs.rmSync(dir, { recursive: true, force: true });
  return { sgd, edit, sweep };
}

interface ShownRow {
  prompt: string;
  when: string;
  prob: string;
  rank: string;
  top: string[];
}

const readRows = (frame: Frame): Promise<ShownRow[]> =>
  frame.evaluate(() =>
    Array.from(document.querySelectorAll('#edit-readouts tr[data-when]')).map((tr) => ({
      prompt: tr.getAttribute('data-prompt') ?? '',
      when: tr.getAttribute('data-when') ?? '',
      prob: tr.querySelector('.target-prob')?.textContent ?? '',
      rank: tr.querySelector('.target-rank')?.textContent ?? '',
      top: Array.from(tr.querySelectorAll('.edit-top li')).map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim()),
    })),
  );

/** The row the panel should show for one read-out, in its own words. */
const expectedRow = (prompt: number, when: string, r: NextTokenReadout): ShownRow => ({
  prompt: String(prompt),
  when,
  prob: formatProb(r.targetProb),
  rank: rankWords(r),
  top: r.top.map((t) => `${visibleToken(t.text)} ${formatProb(t.prob)}`),
});

function sameRows(shown: ShownRow[], expected: ShownRow[], what: string): void {
  const a = JSON.stringify(shown);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: the panel shows\n  ${a}\nexpected (from the CLI)\n  ${b}`);
}

const readSweepTable = (frame: Frame): Promise<string[][]> =>
  frame.evaluate(() => Array.from(document.querySelectorAll('#sweep-table tr[data-layer]')).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')));

function expectedSweepTable(sweep: EditSweepResult): string[][] {
  return sweep.layers.map((l) => [String(l.layer), smallestEtaWords(sweep, l), l.after ? formatProb(l.after.targetProb) : '—']);
}

/** Screenshots the element `selector`, once no notification covers it. */
async function shootSection(frame: Frame, selector: string, name: string): Promise<void> {
  const toasts = frame.page().locator('.notifications-toasts .notification-toast');
  if (await toasts.count()) {
    await runCommand(frame.page(), 'Notifications: Clear All Notifications');
    await toasts.first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  }
  await sleep(300);
  await shootElement(frame.locator(selector), name);
}

async function waitForEnabled(frame: Frame, selector: string): Promise<void> {
  await until(() => frame.locator(selector).isEnabled(), (enabled) => enabled, PANEL_TIMEOUT, () => `${selector} stayed disabled`);
}

/** Opens `file` with Quick Open and returns the custom editor's frame once it shows `selector`. */
async function reopen(page: Page, file: string, selector: string): Promise<Frame> {
  await runCommand(page, 'View: Close All Editors');
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  await quickOpen(page, path.basename(file));
  return findWebviewFrame(page, selector, 90_000, inEditorArea);
}

/** Runs the edit the form holds and waits for its read-outs, titled `preview`'s title. */
async function runEdit(frame: Frame, preview: EditResult): Promise<ShownRow[]> {
  await frame.click('#edit-run');
  const title = previewTitle(preview);
  await failFastOnErrorToast(
    frame.page(),
    until(() => frame.locator('#edit-preview-out h3').textContent().catch(() => null), (text) => text === title, PANEL_TIMEOUT, (text) => `the preview is titled "${text}", expected "${title}"`),
  );
  const rows = await readRows(frame);
  sameRows(rows, preview.prompts.flatMap((p, i) => [expectedRow(i, 'before', p.before), expectedRow(i, 'after', p.after)]), title);
  return rows;
}

async function runTheme(themeKey: string, reference: Reference): Promise<void> {
  const theme = THEMES[themeKey];
  if (!theme) throw new Error(`unknown theme ${themeKey}`);
  const workspace = copyToTemp(path.join(root, 'test', 'e2e', 'workspace'), 'blens-edit-e2e-ws-');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let frame: Frame | undefined;
  let savedFile: string | undefined;
  const step = stepRunner(`[${themeKey}]`, `edit-${themeKey}-failure`, () => ({ browser, server }));
  try {
    await step(`analyse "${PROMPT}" → "${TARGET}" and open the edit preview`, async () => {
      server = await startCodeServer({ extensionPaths: [extensionUnderTest()], userSettings: { 'workbench.colorTheme': theme }, keep: !!process.env.BLENS_E2E_KEEP });
      browser = await launchBrowser();
      const page = browser.page;
      page.on('pageerror', (e) => log(`page error: ${e.message.split('\n')[0]}`));
      await page.goto(server.folderUrl(workspace), { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await openAndSelect(page, PROMPT_FILE, PROMPT, 'line');
      await clickContextMenu(page, PROMPT, ANALYZE);
      const input = page.locator('.quick-input-widget input').first();
      await failFastOnErrorToast(page, input.waitFor({ state: 'visible', timeout: 120_000 }));
      await input.fill(TARGET);
      await sleep(100);
      await page.keyboard.press('Enter');
      frame = await failFastOnErrorToast(page, findWebviewFrame(page, 'table[data-grid=ff2] tr[data-layer]', PANEL_TIMEOUT, inEditorArea));
      await frame.click('#edit-panel > summary');
      await waitForEnabled(frame, '#edit-run');
      const layers = await frame.inputValue('#edit-layers');
      if (layers !== String(EDIT.layer)) throw new Error(`the layers box starts at "${layers}", expected the last layer ${EDIT.layer}`);
    });

    await step('neighbour prompts are added and removed; a blank one is refused with a reason', async () => {
      const f = frame!;
      await f.click('#edit-neighbour-add');
      const problem = (await f.textContent('#edit-problem')) ?? '';
      if (!/Type a neighbour prompt first/.test(problem)) throw new Error(`a blank neighbour says "${problem}"`);
      for (const prompt of [PARAPHRASE, REMOVED, UNRELATED]) {
        await f.fill('#edit-neighbour-input', prompt);
        await f.press('#edit-neighbour-input', 'Enter');
      }
      await f.click(`#edit-neighbours button[aria-label="Remove neighbour ${REMOVED}"]`);
      const listed = await f.locator('#edit-neighbours li .user-text').allTextContents();
      if (JSON.stringify(listed) !== JSON.stringify([PARAPHRASE, UNRELATED])) throw new Error(`neighbours listed: ${JSON.stringify(listed)}`);
    });

    await step(`one SGD step on layers ${SGD.layers.join(', ')}, η ${SGD.eta}: the read-outs equal the CLI's`, async () => {
      const f = frame!;
      await f.click('#edit-method-sgd');
      await f.fill('#edit-layers', SGD.layers.join(', '));
      await f.fill('#edit-eta', String(SGD.eta));
      await runEdit(f, reference.sgd);
    });

    await step(`a forward-pass shift at layer ${EDIT.layer}, η ${EDIT.eta} makes the target the argmax; the read-outs equal the CLI's`, async () => {
      const f = frame!;
      await f.click(`#edit-method-${EDIT.method}`);
      await f.fill('#edit-layers', String(EDIT.layer));
      await f.fill('#edit-eta', String(EDIT.eta));
      await runEdit(f, reference.edit);
      if (reference.edit.prompts[0].after.targetRank !== 0) throw new Error('the CLI says this edit does not make the target the argmax: pick another');
      const argmax = await f.locator('#edit-readouts tr.became-argmax[data-prompt="0"]').count();
      if (argmax !== 1) throw new Error('the prompt\'s after row is not marked as having made the target the argmax');
      const note = (await f.textContent('#edit-note')) ?? '';
      if (!/never changed/.test(note)) throw new Error(`the note says "${note}"`);
      await shootSection(f, '#edit-panel', `edit-${themeKey}-preview`);
    });

    await step('Revert shows the original read-out again: the model\'s own top-k, as the analysis predicted', async () => {
      const f = frame!;
      await f.click('#edit-revert');
      const rows = await readRows(f);
      sameRows(rows, reference.edit.prompts.map((p, i) => expectedRow(i, 'original', p.before)), 'after Revert');
      const predicted = await f.evaluate(() => document.querySelector('#result-header')?.textContent ?? '');
      const topText = rows[0].top[0].split(' ')[0];
      if (!predicted.includes(topText)) throw new Error(`the analysis's prediction (${predicted.slice(0, 200)}) does not name ${topText}`);
      const note = (await f.textContent('#edit-note')) ?? '';
      if (!/^Reverted: .*weights were never changed/.test(note)) throw new Error(`after Revert the note says "${note}"`);
      if (await f.locator('#edit-revert').isEnabled()) throw new Error('Revert is still enabled after reverting');
    });

    await step('a sweep over the default η grid draws the smallest η per layer, as the CLI finds it', async () => {
      const f = frame!;
      const grid = await f.inputValue('#sweep-etas');
      if (grid !== DEFAULT_ETA_GRID.join(', ')) throw new Error(`the η grid box holds "${grid}"`);
      await f.click('#sweep-run');
      await failFastOnErrorToast(browser!.page, f.locator('svg.sweep-chart').waitFor({ timeout: PANEL_TIMEOUT }));
      const table = await readSweepTable(f);
      const expected = expectedSweepTable(reference.sweep);
      if (JSON.stringify(table) !== JSON.stringify(expected)) throw new Error(`sweep table ${JSON.stringify(table)}, expected ${JSON.stringify(expected)}`);
      const dots = await f.locator('svg.sweep-chart circle.series-dot').count();
      const found = reference.sweep.layers.filter((l) => l.smallestEta !== null).length;
      if (dots !== found) throw new Error(`${dots} dots for ${found} layers with a smallest η`);
      const legend = await f.locator('#sweep-out .chart-legend li').allTextContents();
      if (legend.length !== 2) throw new Error(`sweep legend: ${JSON.stringify(legend)}`);
      const whens = (await readRows(f)).map((r) => r.when);
      if (whens.some((w) => w !== 'original')) throw new Error(`after the sweep the reverted preview shows ${JSON.stringify(whens)}`);
      await shootSection(f, '#edit-panel', `edit-${themeKey}-sweep`);
    });

    await step('Neurons re-runs the analysis with the neuron view and keeps the edits: the latest read-out and the sweep are still shown', async () => {
      const f = frame!;
      await f.click('#run-neurons');
      await failFastOnErrorToast(browser!.page, f.locator('#neuron-view article.neuron').first().waitFor({ timeout: PANEL_TIMEOUT }));
      sameRows(await readRows(f), reference.edit.prompts.flatMap((p, i) => [expectedRow(i, 'before', p.before), expectedRow(i, 'after', p.after)]), 'the edit after the re-run');
      const table = await readSweepTable(f);
      if (JSON.stringify(table) !== JSON.stringify(expectedSweepTable(reference.sweep))) throw new Error(`sweep table after the re-run ${JSON.stringify(table)}`);
    });

    await step('Save writes the two previews and the sweep with the re-run’s result (backward-lens/2, valid) and the report lists them', async () => {
      await frame!.click('#save-result');
      const dir = path.join(workspace, 'backward-lens');
      const files = await until(async () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.blens.json')) : []), (f) => f.length > 0, 60_000, () => `no *.blens.json in ${dir}`);
      savedFile = path.join(dir, files[0]);
      await sleep(300);
      const saved = validateResult(JSON.parse(fs.readFileSync(savedFile, 'utf8')));
      if (saved.target !== TARGET) throw new Error(`saved target "${saved.target}", the CLI ran "${TARGET}"`);
      const previews = saved.edits?.previews ?? [];
      if (previews.length !== 2 || saved.edits?.sweeps.length !== 1) throw new Error(`saved edits: ${JSON.stringify(saved.edits).slice(0, 200)}`);
      if (!saved.neurons) throw new Error('the saved result is not the re-run with the neuron view');
      if (previews.some((p, i) => JSON.stringify(p.prompts) !== JSON.stringify([reference.sgd, reference.edit][i].prompts))) throw new Error('a saved preview differs from the CLI\'s');
      const report = fs.readFileSync(savedFile.replace(/\.blens\.json$/, '.md'), 'utf8');
      if (![reference.sgd, reference.edit].every((p) => report.includes(`### ${previewTitle(p)}`))) throw new Error('the report does not list both edits');
    });

    await step('after a window reload the edit form has its method, η and neighbour prompts again, and the read-outs', async () => {
      const f = frame!;
      // Typed, not run: only the form holds them.
      await f.click('#edit-method-sgd');
      await f.fill('#edit-eta', '2');
      await f.press('#edit-eta', 'Tab');
      await reloadWindow(browser!.page);
      const restored = await findWebviewFrame(browser!.page, '#edit-readouts', 90_000, inEditorArea);
      const neighbours = await until(() => restored.locator('#edit-neighbours li .user-text').allTextContents(), (l) => l.length > 0, 30_000, () => 'no neighbour prompts after the reload');
      if (JSON.stringify(neighbours) !== JSON.stringify([PARAPHRASE, UNRELATED])) throw new Error(`neighbours after the reload: ${JSON.stringify(neighbours)}`);
      const form = [await restored.getAttribute('#edit-method-sgd', 'aria-checked'), await restored.inputValue('#edit-eta')];
      if (JSON.stringify(form) !== JSON.stringify(['true', '2'])) throw new Error(`after the reload SGD checked, η: ${JSON.stringify(form)}`);
      sameRows(await readRows(restored), reference.edit.prompts.flatMap((p, i) => [expectedRow(i, 'before', p.before), expectedRow(i, 'after', p.after)]), 'the edit after the reload');
      await shootSection(restored, '#edit-panel', `edit-${themeKey}-restored`);
    });

    await step('reopening the .blens.json in the custom editor shows the edit and the sweep again', async () => {
      const reopened = await reopen(browser!.page, savedFile!, '#edit-readouts');
      const open = await reopened.evaluate(() => (document.getElementById('edit-panel') as HTMLDetailsElement | null)?.open);
      if (!open) throw new Error('the edit preview is not open on a result saved with edits');
      sameRows(await readRows(reopened), reference.edit.prompts.flatMap((p, i) => [expectedRow(i, 'before', p.before), expectedRow(i, 'after', p.after)]), 'the reopened edit');
      const table = await readSweepTable(reopened);
      if (JSON.stringify(table) !== JSON.stringify(expectedSweepTable(reference.sweep))) throw new Error(`reopened sweep table ${JSON.stringify(table)}`);
      await shootSection(reopened, '#edit-panel', `edit-${themeKey}-reopened`);
    });
  } finally {
    await browser?.close();
    await server?.stop();
    if (!process.env.BLENS_E2E_KEEP) fs.rmSync(workspace, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const themes = (process.env.BLENS_E2E_THEMES ?? 'dark,light').split(',').map((s) => s.trim()).filter(Boolean);
  clearScreenshots(/^edit-.*\.png$/);
  const reference = cliRuns();
  log(`CLI: after the edit p(target) ${reference.edit.prompts[0].after.targetProb}, rank ${reference.edit.prompts[0].after.targetRank}; sweep ${JSON.stringify(reference.sweep.layers.map((l) => l.smallestEta))}`);
  for (const theme of themes) await runTheme(theme, reference);
}

runE2e(main);
