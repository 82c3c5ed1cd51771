/**
 * `npm run web`: VS Code in the browser (code-server) on 127.0.0.1 with this extension loaded
 * from the repository (its webpack build in dist/) and a sample workspace; prints the URL and
 * stays up until Ctrl+C.
 *
 *   npm run web                 # port 8080, or a free one when 8080 is taken
 *   PORT=3000 npm run web
 *   npm run web -- --port 3000 --folder /some/folder
 *
 * The sample workspace (test/e2e/workspace) is copied once to .tools/web-workspace, so what
 * the extension saves there (backward-lens/…) stays out of the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extensionUnderTest, portIsFree, repoRoot, startCodeServer } from './codeServer';

// `node --test out/test/` runs every file under out/test: do nothing there.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const root = repoRoot();
  if (!process.env.BLENS_EXTENSION_PATH && !fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
    console.warn('warning: dist/extension.js is missing; run `npm run compile` (npm run web does)');
  }
  let folder = arg('folder');
  if (!folder) {
    folder = path.join(root, '.tools', 'web-workspace');
    if (!fs.existsSync(folder)) fs.cpSync(path.join(root, 'test', 'e2e', 'workspace'), folder, { recursive: true });
  }
  const wanted = Number(arg('port') ?? process.env.PORT ?? 8080);
  const port = (await portIsFree(wanted)) ? wanted : 0;
  const server = await startCodeServer({
    extensionPaths: [extensionUnderTest()],
    port,
    echo: !!process.env.BLENS_WEB_VERBOSE,
    startTimeoutMs: 60_000,
  });
  const url = server.folderUrl(path.resolve(folder));
  console.log(`Backward Lens in VS Code (code-server) is running. Open:\n\n  ${url}\n`);
  console.log(`workspace: ${folder}\ncode-server log: ${server.logFile}\nPress Ctrl+C to stop.`);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping code-server…`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  // Keep the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
