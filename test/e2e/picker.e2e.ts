/**
 * End-to-end test of the model picker in a real VS Code (code-server) in headless Chromium,
 * against the mock Hugging Face Hub of test/support/mockHub.ts running in this process
 * (code-server's extension host gets HF_ENDPOINT = the mock, HF_HUB_CACHE / HF_HOME = a fresh
 * temporary cache):
 *   click the Backward Lens status-bar item → the picker lists the embedded stories260K,
 *   "Download from the Hugging Face Hub…" and the browse entries → download the mock's tiny
 *   GPT-2 by its id (a progress notification) → the user settings hold its id, the status bar
 *   names it, the cache holds models--ORG--NAME/snapshots/COMMIT/ with its files → analyse a
 *   selection with it: the panel's header names it, one grid row per layer → the picker again
 *   lists it among the cached models with its facts, with no request to the hub → a
 *   nonexistent id shows the hub's error with "Use the embedded stories260K" and "Choose
 *   again"; both work, and the embedded one sets backwardLens.modelPath back to ''.
 * Screenshots go to artifacts/picker-*.png.
 *
 * Run: `npm run test:e2e:picker`. Prints a closing `N passed, N failed` line and exits non-zero
 * on any failure. BLENS_E2E_KEEP=1 keeps the temporary folders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Frame, Page } from 'playwright-core';
import { formatBytes, formatCount } from '../../src/hub/formatSizes';
import { commitOf, MockHub, repoFiles } from '../support/mockHub';
import { TINY, writeTinyGpt2, type TinyModel } from '../support/tinyModels';
import { Browser, findWebviewFrame, inEditorArea, launchBrowser, sleep } from './browser';
import { CodeServer, extensionUnderTest, startCodeServer } from './codeServer';
import { clearScreenshots, log, runE2e, shoot, stepRunner } from './steps';
import { ANALYZE, clickContextMenu, failFastOnErrorToast, openAndSelect, runCommand, until } from './workbench';

// `node --test out/test/` runs every file under out/test: this one only runs on purpose.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const REPO = 'tiny-org/tiny-gpt2';
const MISSING = 'tiny-org/no-such-model';
const PROMPT = 'the cat sat on the';
const TARGET = 'mat';
const PROMPT_FILE = 'hub-prompt.txt';
const PICKER_TITLE = 'Backward Lens: model';
const EMBEDDED = 'Use the embedded stories260K';
const CHOOSE_AGAIN = 'Choose again';
/** Slow enough that the download notification stays up for a few seconds. */
const BYTES_PER_SECOND = 20_000;

interface Session {
  hub: MockHub;
  model: TinyModel;
  hfHome: string;
  workspace: string;
  server?: CodeServer;
  browser?: Browser;
}

const cacheDir = (s: Session): string => path.join(s.hfHome, 'hub');
const snapshotDir = (s: Session): string => path.join(cacheDir(s), `models--${REPO.replace('/', '--')}`, 'snapshots', commitOf(REPO));

/**
 * backwardLens.modelPath as the user settings hold it (undefined: not set). The setting is
 * machine-overridable, so in a remote window (code-server's) VS Code writes the user's value
 * into the settings of the machine the extension runs on: user-data/Machine/settings.json.
 */
function modelPathSetting(server: CodeServer): unknown {
  const file = path.join(server.userDataDir, 'Machine', 'settings.json');
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8'))['backwardLens.modelPath'];
}

const quickInput = (page: Page) => page.locator('.quick-input-widget');

/** The text of each row the open quick pick shows (separators included), once its title reads `title`. */
async function quickPickRows(page: Page, title: string): Promise<string[]> {
  await quickInput(page).locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  const rows = quickInput(page).locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  return (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
}

const statusItem = (page: Page) => page.locator('.statusbar-item', { has: page.locator('.codicon-pulse') }).first();

async function statusText(page: Page, expected: string): Promise<string> {
  return until(
    async () => ((await statusItem(page).textContent({ timeout: 5000 }).catch(() => null)) ?? '').trim(),
    (t) => t.includes(expected),
    30_000,
    (t) => `the Backward Lens status-bar item reads "${t}", expected it to name ${expected}`,
  );
}

/** An error notification naming `text`: its message and buttons. */
async function errorToast(page: Page, text: string): Promise<{ message: string; buttons: string[]; click: (label: string) => Promise<void> }> {
  const toast = page.locator('.notifications-toasts .notification-toast', { has: page.locator('.codicon-error'), hasText: text }).first();
  await toast.waitFor({ timeout: 60_000 });
  const message = ((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim();
  const buttons = (await toast.locator('.monaco-button').allTextContents()).map((b) => b.trim());
  return { message, buttons, click: (label) => toast.locator('.monaco-button', { hasText: label }).click() };
}

/** Types `id` into the open picker and accepts the typed item, which sits on top. */
async function chooseTyped(page: Page, id: string): Promise<void> {
  await quickPickRows(page, PICKER_TITLE);
  await quickInput(page).locator('input').first().fill(id);
  await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: 'Hugging Face id' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** The grids' rows (layers) and token columns, once the panel shows a result. */
async function gridShape(frame: Frame): Promise<{ grid: string; layers: string[]; tokens: number; cells: number[] }[]> {
  return frame.evaluate(() =>
    ['ff1', 'ff2'].map((grid) => {
      const table = document.querySelector(`table[role=grid][data-grid=${grid}]`);
      const rows = Array.from(table?.querySelectorAll('tr[data-layer]') ?? []);
      return {
        grid,
        layers: rows.map((tr) => tr.getAttribute('data-layer') ?? ''),
        tokens: table?.querySelectorAll('th[data-pos]').length ?? 0,
        cells: rows.map((tr) => tr.querySelectorAll('td[role=gridcell]').length),
      };
    }),
  );
}

const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The picker's row for the cached tiny model: id, then its facts (counted here from the files
 * written), then the memory an analysis needs and the snapshot folder.
 */
function expectedRow(s: Session): RegExp {
  const parameters = Object.values(s.model.tensors).reduce((sum, t) => sum + t.shape.reduce((n, size) => n * size, 1), 0);
  const bytes = fs.readdirSync(s.model.dir).reduce((sum, name) => sum + fs.statSync(path.join(s.model.dir, name)).size, 0);
  const description = `GPT2LMHeadModel · ${formatCount(parameters)} parameters`;
  const detail = `float32 · ${formatBytes(bytes)} · needs ≈ `;
  return new RegExp(`^${literally(REPO)} ?${literally(description)} ?${literally(detail)}\\d+\\.\\d [kMG]B RAM at 128 tokens · ${literally(snapshotDir(s))}`);
}

async function runPicker(s: Session): Promise<void> {
  const step = stepRunner('[picker]', 'picker-failure', () => s);
  const page = () => s.browser!.page;
  let downloadRequests = 0;

  await step('VS Code starts with the mock hub as HF_ENDPOINT and a fresh HF_HUB_CACHE; the status bar names stories260K', async () => {
    s.server = await startCodeServer({
      extensionPaths: [extensionUnderTest()],
      userSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'backwardLens.executionProvider': 'cpu' },
      env: { HF_ENDPOINT: s.hub.url, HF_HOME: s.hfHome, HF_HUB_CACHE: cacheDir(s), HF_TOKEN: '', HF_HUB_OFFLINE: '' },
      keep: !!process.env.BLENS_E2E_KEEP,
    });
    log(`code-server ${s.server.url} (log ${s.server.logFile}); mock hub ${s.hub.url}; cache ${cacheDir(s)}`);
    s.browser = await launchBrowser();
    await page().goto(s.server.folderUrl(s.workspace), { timeout: 60_000 });
    await page().locator('.monaco-workbench.vs-dark').waitFor({ timeout: 60_000 });
    await statusText(page(), 'stories260K');
  });

  await step('a click on the status-bar item opens the picker: embedded stories260K, Download from the Hugging Face Hub…, Browse…', async () => {
    await statusItem(page()).click();
    const rows = await quickPickRows(page(), PICKER_TITLE);
    log(`picker rows: ${JSON.stringify(rows)}`);
    const wanted = ['Embedded stories260K', 'Download from the Hugging Face Hub…', `from ${s.hub.url}`, 'Browse for a model folder…', 'Browse for a model file…'];
    const missing = wanted.filter((w) => !rows.some((r) => r.includes(w)));
    if (missing.length) throw new Error(`the picker lacks ${JSON.stringify(missing)}: ${JSON.stringify(rows)}`);
    if (!rows.find((r) => r.includes('Embedded stories260K'))!.includes('active')) throw new Error('the embedded model is not marked active');
    if (rows.some((r) => r.includes('Hugging Face cache'))) throw new Error('an empty cache shows a "Hugging Face cache" section');
    await shoot(page(), 'picker-list');
  });

  await step(`"Download from the Hugging Face Hub…" → ${REPO} downloads with a progress notification, config.json before any weight`, async () => {
    s.hub.requests.length = 0;
    s.hub.bytesPerSecond = BYTES_PER_SECOND;
    await quickInput(page()).locator('.quick-input-list .monaco-list-row', { hasText: 'Download from the Hugging Face Hub…' }).click();
    await quickInput(page()).locator('.quick-input-title', { hasText: 'download from the Hugging Face Hub' }).waitFor({ timeout: 15_000 });
    await quickInput(page()).locator('input').first().fill(REPO);
    await page().keyboard.press('Enter');
    const toast = page().locator('.notifications-toasts .notification-toast', { hasText: `downloading ${REPO}` }).first();
    await failFastOnErrorToast(page(), toast.locator('.notification-list-item-message', { hasText: 'model.safetensors' }).waitFor({ timeout: 60_000 }));
    // Focus back on the status-bar item shows its tooltip over the notification: focus the editor area.
    await page().mouse.click(700, 500);
    await sleep(300);
    log(`download notification: "${((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim()}"`);
    await shoot(page(), 'picker-download');
    await failFastOnErrorToast(page(), until(async () => modelPathSetting(s.server!), (v) => v === REPO, 60_000, (v) => `backwardLens.modelPath is ${JSON.stringify(v)} in the machine's user settings, expected "${REPO}"`));
    s.hub.bytesPerSecond = 0;
    downloadRequests = s.hub.requests.length;
    const paths = s.hub.requests.map((r) => r.path);
    log(`hub requests: ${JSON.stringify(paths)}`);
    const config = paths.findIndex((p) => p.endsWith('/config.json'));
    const weight = paths.findIndex((p) => p.includes('.safetensors'));
    if (config < 0 || weight < 0 || config > weight) throw new Error(`config.json (request ${config}) was not fetched before the weights (request ${weight})`);
    if (s.hub.requestsFor(`/lfs-content/${REPO}/model.safetensors`).length !== 1) throw new Error('model.safetensors was not fetched exactly once');
  });

  await step(`the status bar names ${REPO}, and the cache holds models--tiny-org--tiny-gpt2/snapshots/COMMIT/ with the repo's files`, async () => {
    log(`status bar: "${await statusText(page(), REPO)}"`);
    const snapshot = snapshotDir(s);
    const files = fs.existsSync(snapshot) ? fs.readdirSync(snapshot).sort() : [];
    const expected = Object.keys(s.hub.repos[REPO].files).sort();
    if (JSON.stringify(files) !== JSON.stringify(expected)) throw new Error(`${snapshot} holds ${JSON.stringify(files)}, expected ${JSON.stringify(expected)}`);
    const changed = files.filter((name) => !fs.readFileSync(path.join(snapshot, name)).equals(s.hub.repos[REPO].files[name]));
    if (changed.length) throw new Error(`the cached ${changed.join(', ')} differ from the hub's`);
    const ref = fs.readFileSync(path.join(cacheDir(s), `models--${REPO.replace('/', '--')}`, 'refs', 'main'), 'utf8').trim();
    if (ref !== commitOf(REPO)) throw new Error(`refs/main holds ${ref}, expected the commit ${commitOf(REPO)}`);
  });

  await step(`right-click → Analyze Selection → "${TARGET}": the panel's header names ${REPO} and its grids have ${TINY.layers} rows`, async () => {
    await openAndSelect(page(), PROMPT_FILE, PROMPT, 'line');
    await clickContextMenu(page(), PROMPT, ANALYZE);
    const input = quickInput(page()).locator('input').first();
    await failFastOnErrorToast(page(), input.waitFor({ state: 'visible', timeout: 120_000 }));
    await input.fill(TARGET);
    await page().keyboard.press('Enter');
    const frame = await failFastOnErrorToast(page(), findWebviewFrame(page(), 'table[data-grid=ff2] td[role=gridcell]', 180_000, inEditorArea));
    const header = ((await frame.locator('#result-header').textContent()) ?? '').replace(/\s+/g, ' ');
    const model = /Model ?(.*?) ?·.*?(\d+) layers/.exec(header);
    log(`panel header model: ${model?.[0]}`);
    if (!model || model[1] !== REPO || Number(model[2]) !== TINY.layers) throw new Error(`the header's Model row does not read "${REPO} · … · ${TINY.layers} layers": ${header.slice(0, 300)}`);
    const shape = await gridShape(frame);
    log(`grids: ${JSON.stringify(shape)}`);
    const layers = Array.from({ length: TINY.layers }, (_, i) => String(TINY.layers - 1 - i));
    for (const g of shape) {
      if (JSON.stringify(g.layers) !== JSON.stringify(layers)) throw new Error(`${g.grid} has rows for layers ${JSON.stringify(g.layers)}, expected ${JSON.stringify(layers)}`);
      if (g.tokens < 2 || g.cells.some((c) => c !== g.tokens)) throw new Error(`${g.grid}: ${g.tokens} token columns, rows of ${JSON.stringify(g.cells)} cells`);
    }
    await frame.locator('#result-header h1').hover();
    await shoot(page(), 'picker-panel', frame);
  });

  await step(`"Backward Lens: Select Model…" lists ${REPO} under the cached models with architecture, parameters, dtype and size, and nothing reaches the hub`, async () => {
    await runCommand(page(), 'Backward Lens: Select Model');
    const rows = await quickPickRows(page(), PICKER_TITLE);
    log(`picker rows: ${JSON.stringify(rows)}`);
    // A separator's label is drawn on the first row after it: the section's first model.
    const cached = rows.find((r) => r.includes(REPO) && r.includes('GPT2LMHeadModel'));
    if (!cached || !expectedRow(s).test(cached) || !cached.endsWith('Hugging Face cache')) throw new Error(`no cached ${REPO} item matching ${expectedRow(s)} under "Hugging Face cache": ${JSON.stringify(rows)}`);
    if (!rows[0].includes(REPO) || !rows[0].includes('active')) throw new Error(`the first row "${rows[0]}" is not the active ${REPO}`);
    await shoot(page(), 'picker-cached');
    const since = s.hub.requests.slice(downloadRequests);
    if (since.length) throw new Error(`the analysis and the picker made ${since.length} hub requests for a cached model: ${JSON.stringify(since)}`);
  });

  await step(`a nonexistent id (${MISSING}) shows the hub's error with "${EMBEDDED}" and "${CHOOSE_AGAIN}"; "${CHOOSE_AGAIN}" reopens the picker`, async () => {
    await chooseTyped(page(), MISSING);
    const error = await errorToast(page(), MISSING);
    log(`error notification: "${error.message}" [${error.buttons.join(', ')}]`);
    if (!error.message.startsWith('Backward Lens: ') || !/is neither a folder here nor a model on .*HTTP 404/.test(error.message)) throw new Error(`the error reads "${error.message}"`);
    if (JSON.stringify(error.buttons) !== JSON.stringify([EMBEDDED, CHOOSE_AGAIN])) throw new Error(`the error offers ${JSON.stringify(error.buttons)}`);
    if (!s.hub.requests.some((r) => r.path.startsWith(`/api/models/${MISSING}/`))) throw new Error(`the hub was never asked about ${MISSING}`);
    // The failed download's notification goes first, and the error's slides in.
    await page().locator('.notifications-toasts .notification-toast', { hasText: `downloading ${MISSING}` }).waitFor({ state: 'hidden', timeout: 15_000 });
    await sleep(800);
    await shoot(page(), 'picker-error');
    await error.click(CHOOSE_AGAIN);
    await quickPickRows(page(), PICKER_TITLE);
    if (modelPathSetting(s.server!) !== REPO) throw new Error(`a failed choice changed backwardLens.modelPath to ${JSON.stringify(modelPathSetting(s.server!))}`);
  });

  await step(`choosing ${MISSING} again and "${EMBEDDED}" sets backwardLens.modelPath back to ''`, async () => {
    await chooseTyped(page(), MISSING);
    const error = await errorToast(page(), MISSING);
    await error.click(EMBEDDED);
    await until(async () => modelPathSetting(s.server!), (v) => v === '', 30_000, (v) => `backwardLens.modelPath is ${JSON.stringify(v)} after "${EMBEDDED}", expected ''`);
    log(`status bar: "${await statusText(page(), 'stories260K')}"`);
  });
}

async function main(): Promise<void> {
  clearScreenshots(/^picker-.*\.png$/);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-picker-'));
  const model = writeTinyGpt2(path.join(scratch, 'model'));
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, PROMPT_FILE), `${PROMPT}\n`);
  const s: Session = { hub: await MockHub.start({ [REPO]: { files: repoFiles(model.dir) } }), model, hfHome: path.join(scratch, 'hf-home'), workspace };
  try {
    await runPicker(s);
  } finally {
    await s.browser?.close();
    await s.server?.stop();
    await s.hub.stop();
    if (!process.env.BLENS_E2E_KEEP) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runE2e(main);
