/**
 * A stand-in "VS Code executable" for @vscode/test-electron on machines where desktop VS Code
 * cannot be downloaded: `runTests({ vscodeExecutablePath: 'test/e2e/code-shim', … })` (or
 * `.vscode-test.mjs` `useInstallation: { fromPath }`) spawns test/e2e/code-shim with the
 * Electron-style arguments, and this turns them into:
 *   start code-server (test/e2e/codeServer.ts) → open headless Chromium at
 *   /?folder=WS&payload=[["extensionDevelopmentPath","vscode-remote://…"],["extensionTestsPath","vscode-remote://…"]]
 * The web workbench then runs the suite's `run()` inside code-server's Node extension host
 * (the same host desktop VS Code uses for the extension) and reports the result through
 * `window.codeAutomationExit(code)`, which becomes this process's exit code; the suite's
 * console output arrives through `window.codeAutomationLog` and is printed here.
 *
 * Understood arguments: --extensionDevelopmentPath (repeatable), --extensionTestsPath,
 * --extensions-dir (used when it exists), a positional folder or .code-workspace file to open,
 * --user-data-dir (ignored: always a fresh temporary one), and Electron/desktop-only flags
 * (--no-sandbox, --disable-gpu-sandbox, --disable-updates, --skip-welcome,
 * --skip-release-notes, --disable-workspace-trust, --disable-extensions, …) which are ignored.
 * Environment: BLENS_SHIM_TIMEOUT_MS (default 600000), BLENS_SHIM_VERBOSE=1 (echo code-server).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { startCodeServer } from './codeServer';
import { launchBrowser } from './browser';

if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const verbose = process.env.BLENS_SHIM_VERBOSE === '1';

/** Workbench chatter that says nothing about the tests (shown with BLENS_SHIM_VERBOSE=1). */
const NOISE = [
  /open-vsx\.org/,
  /^(Resolving|Resolved) connection token/,
  /^Creating a socket/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /^Updating additional builtin extensions cache/,
  /vsda/,
];

interface ShimArgs {
  devPaths: string[];
  testsPath?: string;
  extensionsDir?: string;
  open?: string;
  ignored: string[];
}

const WITH_VALUE = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'extensions-dir', 'user-data-dir', 'locale', 'log', 'inspect-extensions', 'inspect-brk-extensions', 'crash-reporter-directory']);

export function parseArgs(argv: string[]): ShimArgs {
  const out: ShimArgs = { devPaths: [], ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (!out.open) out.open = path.resolve(a);
      else out.ignored.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (value === undefined && WITH_VALUE.has(name) && i + 1 < argv.length) value = argv[++i];
    if (name === 'extensionDevelopmentPath' && value) out.devPaths.push(path.resolve(value));
    else if (name === 'extensionTestsPath' && value) out.testsPath = path.resolve(value);
    else if (name === 'extensions-dir' && value) out.extensionsDir = path.resolve(value);
    else out.ignored.push(value === undefined ? `--${name}` : `--${name}=${value}`);
  }
  return out;
}

function say(msg: string): void {
  process.stderr.write(`[code-shim] ${msg}\n`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (process.argv.includes('--version')) {
    console.log('1.100.3\ncode-server-shim\nx64');
    return 0;
  }
  if (!args.testsPath || args.devPaths.length === 0) {
    say('needs --extensionDevelopmentPath and --extensionTestsPath (this shim only runs extension tests)');
    return 2;
  }
  if (args.ignored.length) say(`ignoring ${args.ignored.join(' ')}`);

  const server = await startCodeServer({
    echo: verbose,
    userSettings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  // A pre-populated --extensions-dir (e.g. dependencies installed by the test runner).
  if (args.extensionsDir && fs.existsSync(args.extensionsDir)) {
    for (const entry of fs.readdirSync(args.extensionsDir)) {
      const src = path.join(args.extensionsDir, entry);
      if (fs.existsSync(path.join(src, 'package.json'))) fs.symlinkSync(src, path.join(server.extensionsDir, entry), 'dir');
    }
  }
  const remote = (p: string) => `vscode-remote://${server.host}:${server.port}${p.split(path.sep).map(encodeURIComponent).join('/')}`;
  const payload: [string, string][] = [
    ...args.devPaths.map((p): [string, string] => ['extensionDevelopmentPath', remote(p)]),
    ['extensionTestsPath', remote(args.testsPath)],
  ];
  const query: Record<string, string> = { payload: JSON.stringify(payload) };
  let url: string;
  if (args.open && args.open.endsWith('.code-workspace')) {
    url = `${server.url}/?workspace=${encodeURIComponent(args.open)}&payload=${encodeURIComponent(query.payload)}`;
  } else if (args.open && fs.existsSync(args.open) && fs.statSync(args.open).isDirectory()) {
    url = server.folderUrl(args.open, query);
  } else {
    if (args.open) say(`not a folder, not opened: ${args.open}`);
    url = `${server.url}/?ew=true&payload=${encodeURIComponent(query.payload)}`;
  }
  say(`code-server ${server.url} (log ${server.logFile}); tests ${args.testsPath}`);

  const browser = await launchBrowser({ width: 1280, height: 800 });
  let passing: number | undefined;
  let failing = 0;
  let resolveExit!: (code: number) => void;
  const exitCode = new Promise<number>((r) => (resolveExit = r));
  try {
    const page = browser.page;
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(Number(code) || 0));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      // The workbench forwards console calls as (format, ...values), as mocha's reporter makes them.
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (!verbose && NOISE.some((re) => re.test(text))) return;
      const m = /(\d+) passing/.exec(text);
      if (m) passing = Number(m[1]);
      const f = /(\d+) failing/.exec(text);
      if (f) failing = Number(f[1]);
      (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
    });
    page.on('pageerror', (e) => say(`page error: ${e.message.split('\n')[0]}`));
    await page.goto(url, { timeout: 60_000 });
    const timeoutMs = Number(process.env.BLENS_SHIM_TIMEOUT_MS ?? 600_000);
    const timer = setTimeout(() => {
      say(`no result from the test run after ${timeoutMs} ms`);
      resolveExit(124);
    }, timeoutMs);
    const code = await exitCode;
    clearTimeout(timer);
    if (passing !== undefined) {
      say(`mocha: ${passing} passing, ${failing} failing`);
      console.log(`${passing} passed, ${failing} failed`);
    }
    if (code !== 0) say(`code-server log tail:\n${server.logTail(40)}`);
    return code;
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
