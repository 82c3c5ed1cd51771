/**
 * Starts a real VS Code (the `code-server` npm package, installed into .tools/ by
 * scripts/setup-test-tools.sh) with development extensions loaded, in throwaway HOME / XDG /
 * TMPDIR / user-data / extensions folders, and stops its whole process group.
 *
 * Used by `npm run web`, the browser end-to-end test and the @vscode/test-electron shim.
 * Facts behind each choice: ../shared/notes/vscode-e2e-offline.md.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CodeServerOptions {
  /** Folders holding an extension's package.json, linked as `<publisher>.<name>-<version>`. */
  extensionPaths?: string[];
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  /** Written to the user settings.json of the temporary user-data-dir. */
  userSettings?: Record<string, unknown>;
  /** Echo code-server's output to this process's stderr (it always goes to `logFile`). */
  echo?: boolean;
  /** Keep the temporary folders after stop() (for debugging). */
  keep?: boolean;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** How long to wait for /healthz. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  readonly port: number;
  readonly host: string;
  /** http://host:port */
  readonly url: string;
  /** Root of the temporary folders (HOME, XDG dirs, user data, extensions, logs). */
  readonly baseDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's stdout + stderr. */
  readonly logFile: string;
  readonly pid: number;
  /** The workbench URL that opens `folder` (an absolute path on this machine). */
  folderUrl(folder: string, query?: Record<string, string>): string;
  /** The last `lines` lines of the log. */
  logTail(lines?: number): string;
  /** Stops the whole process group (SIGTERM, then SIGKILL) and removes the temp folders. */
  stop(): Promise<void>;
}

/** The repository root (the folder with this project's package.json). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'backward-lens') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no backward-lens package.json above ${__dirname}`);
    dir = up;
  }
}

/**
 * The extension folder the tests and `npm run web` load: $BLENS_EXTENSION_PATH (e.g. an
 * unpacked VSIX), else the repository itself (package.json `main` → dist/extension.js).
 */
export function extensionUnderTest(): string {
  return path.resolve(process.env.BLENS_EXTENSION_PATH ?? repoRoot());
}

/** The code-server launcher: $CODE_SERVER_BIN, else .tools/code-server/node_modules/.bin/code-server. */
export function codeServerBin(): string {
  const bin =
    process.env.CODE_SERVER_BIN ?? path.join(repoRoot(), '.tools', 'code-server', 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin)) {
    throw new Error(`code-server not found at ${bin}: run \`npm run setup-test-tools\` (scripts/setup-test-tools.sh) first`);
  }
  return bin;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** `<publisher>.<name>-<version>`, the folder name VS Code expects in an extensions dir. */
export function extensionFolderName(extensionPath: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
  return `${pkg.publisher}.${pkg.name}-${pkg.version}`;
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Groups started by this process, stopped if it exits without calling stop(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const bin = codeServerBin();
  const host = options.host ?? '127.0.0.1';
  const port = options.port && options.port > 0 ? options.port : await freePort(host);

  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blens-code-server-'));
  const dirs = {
    home: path.join(baseDir, 'home'),
    config: path.join(baseDir, 'config'),
    data: path.join(baseDir, 'data'),
    cache: path.join(baseDir, 'cache'),
    tmp: path.join(baseDir, 'tmp'),
    userData: path.join(baseDir, 'user-data'),
    extensions: path.join(baseDir, 'extensions'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });

  for (const ext of options.extensionPaths ?? []) {
    const abs = path.resolve(ext);
    fs.symlinkSync(abs, path.join(dirs.extensions, extensionFolderName(abs)), 'dir');
  }

  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'chat.commandCenter.enabled': false,
    'git.enabled': false,
    'files.autoSave': 'off',
    ...(options.userSettings ?? {}),
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const logFile = path.join(baseDir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');

  const args = [
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    ...(options.env ?? {}),
  };
  // Variables of an outer VS Code / code-server would confuse this one.
  for (const k of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|CODE_SERVER_(?!BIN$))/.test(k)) delete env[k];
  }

  // detached: setsid(), so code-server and everything it starts (extension host, file
  // watchers, pty host) share one process group that stop() can signal as a whole.
  const child: ChildProcess = spawn(bin, args, {
    detached: true,
    env,
    cwd: dirs.home,
    stdio: ['ignore', options.echo ? 'pipe' : logFd, options.echo ? 'pipe' : logFd],
  });
  if (options.echo) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        fs.appendFileSync(logFile, chunk);
        process.stderr.write(chunk);
      });
    }
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${bin}`);
  liveGroups.add(pid);
  installExitHook();
  let exited: number | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      resolve();
    });
  });

  const url = `http://${host}:${port}`;
  const logTail = (lines = 40): string => {
    try {
      return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    // Wait for the leader, then make sure no member of the group is left.
    await Promise.race([exitPromise, sleep(5000)]);
    while (Date.now() < deadline && groupAlive(pid)) await sleep(100);
    if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
    try {
      fs.closeSync(logFd);
    } catch {
      /* closed */
    }
    if (!options.keep) fs.rmSync(baseDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const server: CodeServer = {
    port,
    host,
    url,
    baseDir,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    logFile,
    pid,
    folderUrl(folder: string, query: Record<string, string> = {}): string {
      const q = Object.entries({ folder: path.resolve(folder), ...query })
        .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2F/g, '/')}`)
        .join('&');
      return `${url}/?${q}`;
    },
    logTail,
    stop,
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== null) {
      liveGroups.delete(pid);
      throw new Error(`code-server exited with ${exited} before answering /healthz:\n${logTail()}`);
    }
    if ((await httpStatus(`${url}/healthz`)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz in time:\n${logTail()}`);
    }
    await sleep(200);
  }
  return server;
}

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Copies a folder (recursively) into a new temporary folder and returns its path. */
export function copyToTemp(src: string, prefix = 'blens-ws-'): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}
