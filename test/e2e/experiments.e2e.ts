/**
 * End-to-end test of the panel's experiments in a real VS Code (code-server) in a real browser,
 * dark theme, on the embedded stories260K:
 *   analyze "Once upon a time, there was a little girl named" → "Tom" → Neurons (N 5) → the
 *   neuron view → Check gradients → the verdict in the header → Save: the neuron view and the
 *   check in the panel are the saved JSON's → reopen the file in the custom editor: both again;
 *   the same prompt → "Lily" → Save → compare with the "Tom" result of this session: every
 *   cell's overlaps, norm ratio and rank difference are compareResults' of the two saved files →
 *   reload the window: the restored panel draws the same compare view again → reopen the
 *   "Lily" file and compare it with the saved "Tom" file through the open dialog: the same
 *   cells → a longer paraphrase → "Tom", compared with the saved "Tom" file: aligned
 *   from the end of the prompt, the note says so, the cells are compareResults'. Last, the theme
 *   turns light and the new views are shot again.
 * Screenshots go to artifacts/ (e2e-experiments-*.png).
 *
 * Run: `npm run test:e2e:experiments`. Prints a closing `N passed, N failed` line and exits
 * non-zero on any failure. BLENS_E2E_KEEP=1 keeps the temporary folders.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import { compareResults } from '../../src/result/compare';
import { checkSummary, contributingPositions, weightShortName } from '../../src/result/experiments';
import type { BackwardLensResult, NeuronVector } from '../../src/result/schema';
import { validateResult } from '../../src/result/validate';
import { formatNumber, visibleToken } from '../../src/result/view';
import { Browser, findWebviewFrame, inEditorArea, launchBrowser, sleep } from './browser';
import { CodeServer, copyToTemp, extensionUnderTest, repoRoot, startCodeServer } from './codeServer';
import { expectReadable } from './contrast';
import { clearScreenshots, log, runE2e, shoot, stepRunner } from './steps';
import { ANALYZE, clickContextMenu, failFastOnErrorToast, openAndSelect, quickOpen, reloadWindow, runCommand, until } from './workbench';

// `node --test out/test/` runs every file under out/test: this one only runs on purpose.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const PROMPT = 'Once upon a time, there was a little girl named';
const PROMPT_FILE = 'e2e-prompt.txt';
/** The same story told longer (more tokens before the name): a paraphrase to align from the end. */
const PARAPHRASE = 'Once upon a time, in a small town, there was a little girl named';
const PARAPHRASE_FILE = 'paraphrase.txt';
const LAYERS = 5;
const RUN_TIMEOUT = 180_000; // model load + graph compile + run, on a loaded machine
const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern' };


/** What the neuron view shows for its chosen layer, read from the DOM. */
interface ShownNeurons {
  layer: string;
  lists: { list: string; neurons: { index: number; vectors: ShownVector[] }[] }[];
}
interface ShownVector {
  weight: string;
  kind: string;
  before: string[][];
  after: string[][];
  positions: { position: number; token: string }[];
}

function readNeurons(frame: Frame): Promise<ShownNeurons> {
  return frame.evaluate(() => {
    const chips = (cell: Element | null) => Array.from(cell?.querySelectorAll('code.token') ?? [], (c) => c.textContent ?? '');
    const sides = (table: Element, when: string) => {
      const row = table.querySelector(`tr[data-when="${when}"]`);
      return [chips(row?.querySelector('.vector-top') ?? null), chips(row?.querySelector('.vector-bottom') ?? null)];
    };
    const view = document.querySelector('#neuron-view .neuron-lists') as HTMLElement | null;
    return {
      layer: view?.dataset.layer ?? '',
      lists: Array.from(document.querySelectorAll('#neuron-view section.neuron-list'), (section) => ({
        list: (section as HTMLElement).dataset.list ?? '',
        neurons: Array.from(section.querySelectorAll('article.neuron'), (article) => ({
          index: Number((article as HTMLElement).dataset.index),
          vectors: Array.from(article.querySelectorAll('table.neuron-vector'), (table) => ({
            weight: (table as HTMLElement).dataset.weight ?? '',
            kind: (table as HTMLElement).dataset.kind ?? '',
            before: sides(table, 'before'),
            after: sides(table, 'after'),
            positions: Array.from(table.querySelectorAll('.vector-positions .position'), (p) => ({
              position: Number((p as HTMLElement).dataset.pos),
              token: p.querySelector('code.token')?.textContent ?? '',
            })),
          })),
        })),
      })),
    };
  });
}

/** What the neuron view must show for `layer` of a saved result. */
function expectedNeurons(result: BackwardLensResult, layer: number): ShownNeurons {
  const texts = (list: { text: string }[]) => list.map((t) => visibleToken(t.text));
  const vector = (kind: string, v: NeuronVector): ShownVector => ({
    weight: weightShortName(v.weight),
    kind,
    before: [texts(v.before.top), texts(v.before.bottom)],
    after: [texts(v.after.top), texts(v.after.bottom)],
    positions: contributingPositions(v).map((p) => ({ position: p.position, token: visibleToken(result.tokens[p.position].text) })),
  });
  const neurons = result.neurons!.layers.find((l) => l.layer === layer)!;
  return {
    layer: String(layer),
    lists: (['ff1', 'ff2'] as const).map((list) => ({
      list,
      neurons: neurons[list].map((n) => ({ index: n.index, vectors: [...n.keys.map((k) => vector('key', k)), vector('value', n.value)] })),
    })),
  };
}

/** The neuron view of `result`, in its last layer and in layer 0, as the panel shows them. */
async function expectNeuronView(frame: Frame, result: BackwardLensResult): Promise<void> {
  for (const layer of [LAYERS - 1, 0]) {
    await frame.selectOption('#neuron-layer', String(layer));
    const shown = await until(() => readNeurons(frame), (n) => n.layer === String(layer), 10_000, (n) => `the neuron view shows layer ${n.layer}, expected ${layer}`);
    assert.deepEqual(shown, expectedNeurons(result, layer), `the neuron view of layer ${layer} is the saved JSON's`);
  }
  await frame.selectOption('#neuron-layer', String(LAYERS - 1));
}

/** The header's gradient check: its text, verdict and tooltip. */
const readCheck = (frame: Frame) =>
  frame.evaluate(() => {
    const el = document.getElementById('gradient-check');
    return { text: el?.textContent ?? '', verdict: el?.getAttribute('data-verdict') ?? '', title: el?.getAttribute('title') ?? '' };
  });

function expectCheck(shown: { text: string; verdict: string; title: string }, result: BackwardLensResult): void {
  const summary = checkSummary(result.check!);
  assert.equal(shown.text, summary.text);
  assert.equal(shown.verdict, 'pass', `stories260K passes the check: ${shown.text}`);
  for (let layer = 0; layer < LAYERS; layer++) assert.match(shown.title, new RegExp(`layer ${layer}: FF1 \\d\\.\\de-\\d+, FF2 \\d\\.\\de-\\d+`));
}

/** Every cell of the compare view, by grid, layer and position. */
const readCompare = (frame: Frame) =>
  frame.evaluate(() =>
    Array.from(document.querySelectorAll('#compare-view table.compare-table td'), (td) => {
      const el = td as HTMLElement;
      return {
        key: `${el.closest('table')?.getAttribute('data-grid')} ${el.closest('tr')?.getAttribute('data-layer')} ${el.dataset.pos}`,
        top: el.dataset.topOverlap,
        bottom: el.dataset.bottomOverlap,
        ratio: el.dataset.normRatio,
        rank: el.dataset.rankDifference,
        overlapText: el.querySelector('.overlap')?.textContent ?? '',
      };
    }),
  );

/** The compare view's cells are compareResults' of the two saved results, values and text. */
async function expectComparison(frame: Frame, current: BackwardLensResult, reference: BackwardLensResult): Promise<number> {
  const comparison = compareResults(current, reference);
  const expected = 2 * LAYERS * (current.tokens.length - comparison.firstPosition);
  const shownCells = await until(() => readCompare(frame), (cells) => cells.length === expected, 30_000, (cells) => `the compare view has ${cells.length} cells, expected ${expected}`);
  const byKey = new Map(shownCells.map((c) => [c.key, c]));
  const text = (x: number | undefined) => (x === undefined ? '—' : formatNumber(x, 2));
  let partial = 0;
  for (const grid of ['ff1', 'ff2'] as const) {
    for (const row of comparison.grids[grid]) {
      for (const cell of row.cells) {
        const shownCell = byKey.get(`${grid} ${row.layer} ${cell.position}`);
        const where = `${grid} layer ${row.layer} position ${cell.position}`;
        assert.ok(shownCell, `${where} is shown`);
        if (cell.zero) {
          assert.equal(shownCell.top, undefined, `${where} has no gradient`);
          continue;
        }
        assert.equal(Number(shownCell.top), cell.topOverlap, `${where} top overlap`);
        assert.equal(Number(shownCell.bottom), cell.bottomOverlap, `${where} bottom overlap`);
        assert.equal(Number(shownCell.ratio), cell.normRatio, `${where} norm ratio`);
        assert.equal(Number(shownCell.rank), cell.rankDifference, `${where} rank difference`);
        assert.equal(shownCell.overlapText, `${text(cell.topOverlap)} \\ ${text(cell.bottomOverlap)}`, `${where} text`);
        if ((cell.topOverlap ?? 1) < 1 || (cell.bottomOverlap ?? 1) < 1) partial++;
      }
    }
  }
  return partial;
}

/** Waits for a `.blens.json` in `dir` that is not among `known`, and reads it. */
async function newSavedFile(dir: string, known: Set<string>): Promise<{ file: string; result: BackwardLensResult }> {
  const name = await until(
    async () => (fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.blens.json') && !known.has(f)) : undefined),
    (f) => f !== undefined,
    60_000,
    () => `no new *.blens.json in ${dir} 60 s after Save`,
  );
  await sleep(300);
  known.add(name!);
  const file = path.join(dir, name!);
  return { file, result: validateResult(JSON.parse(fs.readFileSync(file, 'utf8'))) };
}

/** Analyzes the first line of `file` with `target` from the editor's context menu; resolves with the panel once it shows that target. */
async function analyze(page: Page, target: string, file = PROMPT_FILE, line = PROMPT): Promise<Frame> {
  await runCommand(page, 'View: Close All Editors');
  await openAndSelect(page, file, line, 'line');
  await clickContextMenu(page, line.slice(0, 30), ANALYZE);
  const input = page.locator('.quick-input-widget input').first();
  await failFastOnErrorToast(page, input.waitFor({ state: 'visible', timeout: 120_000 }));
  await input.fill(target);
  await sleep(100);
  await page.keyboard.press('Enter');
  const showsTarget = async (frame: Frame) => (await inEditorArea(frame)) && ((await frame.textContent('#result-header').catch(() => '')) ?? '').includes(`${target}”`);
  return failFastOnErrorToast(page, findWebviewFrame(page, 'table[data-grid=ff2] td[role=gridcell]', RUN_TIMEOUT, showsTarget));
}

/** Picks `file` in VS Code's own file dialog (a quick input), typed into only once it lists the folder it opened in. */
async function chooseInFileDialog(page: Page, file: string): Promise<void> {
  await page.locator('.quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 30_000 });
  const input = page.locator('.quick-input-widget input').first();
  await until(() => input.inputValue(), (v) => v.endsWith('/'), 10_000, (v) => `the file dialog opened at "${v}"`);
  await input.fill(file);
  await until(() => input.inputValue(), (v) => v === file, 10_000, (v) => `the file dialog reads "${v}"`);
  await sleep(300);
  await page.keyboard.press('Enter');
}

/** Reopens a saved result in the custom editor; resolves with its frame. */
async function reopen(page: Page, file: string): Promise<Frame> {
  await runCommand(page, 'View: Close All Editors');
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  await quickOpen(page, path.basename(file));
  const frame = await findWebviewFrame(page, 'table[data-grid=ff1] td[role=gridcell]', 90_000, inEditorArea);
  const tab = ((await page.locator('.tabs-container .tab.active').textContent()) ?? '').trim();
  assert.ok(tab.includes('.blens.json'), `the active tab is "${tab}", expected the .blens.json custom editor`);
  return frame;
}

/** Scrolls the panel to `selector` and shoots the whole window and the webview, with no notification over it. */
async function shootAt(page: Page, frame: Frame, selector: string, name: string): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  // Off the editor tabs, whose path tooltip would cover the panel's top.
  await page.mouse.move(100, 700);
  await frame.evaluate((sel) => document.querySelector(sel)?.scrollIntoView({ block: 'start' }), selector);
  await sleep(400);
  await shoot(page, name, frame);
}

/** The new elements' text must read in the theme (WCAG 4.5:1). */
async function expectExperimentsReadable(frame: Frame): Promise<string> {
  const checks: [string, string][] = [
    ['#run-neurons, #run-check, #neuron-eta, .experiment-bar .toolbar-label, #neuron-count', 'the experiments bar'],
    ['#gradient-check', 'the gradient check in the header'],
    ['#neuron-view h3, #neuron-view h4, #neuron-view .hint, #neuron-view caption, #neuron-view th, #neuron-view .position .prob', 'the neuron view'],
    ['#neuron-view code.token', 'the neuron view’s tokens'],
  ];
  const lines: string[] = [];
  for (const [selector, what] of checks) lines.push(`${what} ${(await expectReadable(frame, selector, what)).min.toFixed(1)}`);
  return lines.join(', ');
}

async function expectCompareReadable(frame: Frame): Promise<string> {
  const c = await expectReadable(frame, '#compare-view td .overlap span, #compare-view td .ratio, #compare-view th, #compare-view .grid-legend > span, #compare-view .hint', 'the compare view');
  return `compare view ${c.min.toFixed(1)}`;
}

/** Turns the theme with the color theme picker (Ctrl+K Ctrl+T); resolves when the webview follows. */
async function switchTheme(page: Page, frame: Frame, theme: string, bodyClass: string): Promise<void> {
  await page.locator('.part.statusbar').click();
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(theme);
  // Clicked, not Enter: the list also offers "Browse Additional Color Themes…", which can hold the focus.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
  await row.waitFor({ timeout: 15_000 });
  await sleep(300);
  await row.click();
  await until(() => frame.evaluate(() => document.body.className), (c) => c.includes(bodyClass), 60_000, (c) => `the webview's body is "${c}" after switching to ${theme}`);
  await sleep(500);
}

async function run(): Promise<void> {
  const workspace = copyToTemp(path.join(repoRoot(), 'test', 'e2e', 'workspace'), 'blens-e2e-experiments-');
  fs.writeFileSync(path.join(workspace, PARAPHRASE_FILE), `${PARAPHRASE}\n`);
  const saved = path.join(workspace, 'backward-lens');
  const known = new Set<string>();
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let frame: Frame | undefined;
  let tom: { file: string; result: BackwardLensResult } | undefined;
  let lily: { file: string; result: BackwardLensResult } | undefined;
  const page = () => browser!.page;

  const step = stepRunner('experiments', 'e2e-experiments-failure', () => ({ browser, server }));

  try {
    await step('VS Code (dark) analyzes the prompt → "Tom"; the experiments bar offers 5 neurons at η = 1', async () => {
      server = await startCodeServer({ extensionPaths: [extensionUnderTest()], userSettings: { 'workbench.colorTheme': THEMES.dark }, keep: !!process.env.BLENS_E2E_KEEP });
      log(`code-server ${server.url} (log ${server.logFile}), workspace ${workspace}`);
      browser = await launchBrowser();
      page().on('pageerror', (e) => log(`page error: ${e.message.split('\n')[0]}`));
      await page().goto(server.folderUrl(workspace), { timeout: 60_000 });
      await page().locator('.monaco-workbench.vs-dark').waitFor({ timeout: 60_000 });
      frame = await analyze(page(), 'Tom');
      assert.equal(await frame.inputValue('#neuron-count'), '5');
      assert.equal(await frame.textContent('#neuron-eta'), 'η = 1, the engine’s default');
      assert.equal(await frame.isHidden('#neuron-view'), true, 'no neuron view before it is asked for');
      assert.equal(await frame.locator('#gradient-check').count(), 0, 'no check before it is asked for');
    });

    await step('Neurons re-runs with the neuron view: 5 neurons in FF1 and in FF2 of the last layer, gate and up keys and a down value each', async () => {
      await frame!.click('#run-neurons');
      const shown = await until(() => readNeurons(frame!), (n) => n.lists.length === 2 && n.lists.every((l) => l.neurons.length === 5), RUN_TIMEOUT, (n) => `the neuron view: ${JSON.stringify(n).slice(0, 300)}`);
      assert.equal(shown.layer, String(LAYERS - 1));
      for (const list of shown.lists) for (const n of list.neurons) assert.deepEqual(n.vectors.map((v) => `${v.weight} ${v.kind}`), ['gate_proj key', 'up_proj key', 'down_proj value']);
      assert.equal(await frame!.getAttribute('#run-neurons', 'aria-pressed'), 'true');
      assert.equal(await frame!.isDisabled('#run-neurons'), true, 'the same N again is nothing to re-run');
      await shootAt(page(), frame!, '#neuron-view', 'e2e-experiments-dark-neurons');
    });

    await step('Check gradients re-runs with the check, keeping the neurons: the header shows ✓ passed and the worst layer, all layers on hover', async () => {
      await frame!.click('#run-check');
      const check = await until(() => readCheck(frame!), (c) => c.text !== '', RUN_TIMEOUT, () => 'no #gradient-check in the header');
      log(`header check: ${check.text}`);
      assert.match(check.text, /^✓ passed · worst relative error \d\.\de-\d+ \(layer \d FF[12]\) · threshold 1\.0e-3$/);
      assert.equal(await frame!.isVisible('#neuron-view'), true, 'the re-run kept the neuron view');
      assert.equal(await frame!.isDisabled('#run-check'), true);
      log(`contrast: ${await expectExperimentsReadable(frame!)}`);
      await shootAt(page(), frame!, '#result-header', 'e2e-experiments-dark-check');
    });

    await step('Save: the saved JSON has the neuron view (5, η 1) and the check, and the panel shows exactly them', async () => {
      await frame!.click('#save-result');
      tom = await newSavedFile(saved, known);
      log(`saved ${tom.file}`);
      assert.deepEqual([tom.result.neurons?.count, tom.result.neurons?.eta, tom.result.check?.layers.length], [5, 1, LAYERS]);
      await expectNeuronView(frame!, tom.result);
      expectCheck(await readCheck(frame!), tom.result);
      const report = fs.readFileSync(tom.file.replace(/\.blens\.json$/, '.md'), 'utf8');
      assert.match(report, /## Neurons with the largest gradients \(5 per layer/);
      assert.match(report, /## Gradient check\n\n✓ passed/);
    });

    await step('the saved file reopened in the custom editor shows the neuron view and the check again (read-only: no re-run)', async () => {
      const reopened = await reopen(page(), tom!.file);
      await until(() => reopened.isVisible('#neuron-view'), (v) => v, 30_000, () => 'no neuron view in the reopened file');
      await expectNeuronView(reopened, tom!.result);
      expectCheck(await readCheck(reopened), tom!.result);
      assert.equal(await reopened.isDisabled('#run-neurons'), true);
      assert.equal(await reopened.isDisabled('#run-check'), true);
      await shootAt(page(), reopened, '#neuron-view', 'e2e-experiments-dark-reopened-neurons');
    });

    await step('the same prompt → "Lily", saved, compared with this session’s "Tom": every cell is compareResults’ of the two saved files', async () => {
      frame = await analyze(page(), 'Lily');
      await frame.click('#save-result');
      lily = await newSavedFile(saved, known);
      const options = await frame.evaluate(() => Array.from(document.querySelectorAll('#compare-select option'), (o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));
      log(`compare choices: ${JSON.stringify(options.map((o) => o.label))}`);
      // Paper mode scores the first target token, " T" of "Tom"; the one saved has its neurons and check.
      const earlier = options.find((o) => o.label.includes('5 neurons, check') && o.label.endsWith('→ ␣T'));
      assert.ok(earlier, 'the session’s "Tom" result is offered');
      assert.ok(options.some((o) => o.label === 'A saved result file…'));
      await frame.selectOption('#compare-select', earlier.value);
      await until(() => frame!.isVisible('#compare-view'), (v) => v, 30_000, () => 'no compare view');
      assert.match((await frame.textContent('#compare-alignment')) ?? '', /^Same prompt tokens: each position is compared with itself \(\d+ positions\)\.$/);
      const partial = await expectComparison(frame, lily.result, tom!.result);
      log(`compare: ${partial} cells where the two targets' token sets differ`);
      assert.ok(partial > 0, 'two targets give some cells with different tokens');
      log(`contrast: ${await expectCompareReadable(frame)}`);
      await shootAt(page(), frame, '#compare-view', 'e2e-experiments-dark-compare');
    });

    await step('after a window reload the restored panel draws the compare view again: the same cells as before', async () => {
      const before = await readCompare(frame!);
      await reloadWindow(page());
      const restored = await findWebviewFrame(page(), '#compare-view table.compare-table td', 90_000, inEditorArea);
      const after = await until(() => readCompare(restored), (cells) => cells.length === before.length, 30_000, (cells) => `the restored compare view has ${cells.length} cells, expected ${before.length}`);
      assert.deepEqual(after, before);
      assert.match((await restored.textContent('#compare-view h2')) ?? '', /this result against .*→ ␣T/);
      await shootAt(page(), restored, '#compare-view', 'e2e-experiments-dark-restored-compare');
    });

    await step('the saved "Lily" reopened and compared with the saved "Tom" file through the open dialog: the same cells', async () => {
      const reopened = await reopen(page(), lily!.file);
      await reopened.selectOption('#compare-select', 'file');
      await chooseInFileDialog(page(), tom!.file);
      await until(() => reopened.isVisible('#compare-view'), (v) => v, 30_000, () => 'no compare view after choosing the file');
      const title = (await reopened.textContent('#compare-view h2')) ?? '';
      assert.ok(title.includes(path.basename(tom!.file)), `the compare view names the file: ${title}`);
      await expectComparison(reopened, lily!.result, tom!.result);
      frame = reopened;
    });

    await step('a paraphrase of another length, compared with the saved "Tom": aligned by position from the end of the prompt, and said so', async () => {
      frame = await analyze(page(), 'Tom', PARAPHRASE_FILE, PARAPHRASE);
      await frame.click('#save-result');
      const paraphrase = await newSavedFile(saved, known);
      const n = paraphrase.result.tokens.length;
      const m = tom!.result.tokens.length;
      assert.ok(n > m, `the paraphrase has ${n} tokens, the prompt ${m}`);
      await frame.selectOption('#compare-select', 'file');
      await chooseInFileDialog(page(), tom!.file);
      await until(() => frame!.isVisible('#compare-view'), (v) => v, 30_000, () => 'no compare view after choosing the file');
      const note = (await frame.textContent('#compare-alignment')) ?? '';
      assert.equal(note, `Different prompts (${n} and ${m} tokens): aligned by layer and by position from the end of the prompt, the last ${m} positions (this result's first ${n - m} have no partner).`);
      await expectComparison(frame, paraphrase.result, tom!.result);
      await shootAt(page(), frame, '#compare-view', 'e2e-experiments-dark-paraphrase');
    });

    await step('in the light theme the new views read (contrast) and are shot again', async () => {
      await switchTheme(page(), frame!, THEMES.light, 'vscode-light');
      log(`contrast: ${await expectCompareReadable(frame!)}`);
      await shootAt(page(), frame!, '#compare-view', 'e2e-experiments-light-compare');
      const reopened = await reopen(page(), tom!.file);
      await until(() => reopened.isVisible('#neuron-view'), (v) => v, 30_000, () => 'no neuron view');
      log(`contrast: ${await expectExperimentsReadable(reopened)}`);
      await shootAt(page(), reopened, '#neuron-view', 'e2e-experiments-light-neurons');
      await shootAt(page(), reopened, '#result-header', 'e2e-experiments-light-check');
    });
  } finally {
    await browser?.close();
    await server?.stop();
    if (!process.env.BLENS_E2E_KEEP) fs.rmSync(workspace, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  log(`extension: ${extensionUnderTest()}`);
  clearScreenshots(/^e2e-experiments-.*\.png$/);
  await run();
}

runE2e(main);
