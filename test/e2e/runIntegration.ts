/**
 * `npm run test:integration`: the @vscode/test-electron mocha suite (out/test/suite/index,
 * exporting `run()`) inside a real VS Code, with a temporary copy of test/e2e/workspace open.
 *
 * Default: VS Code = code-server through test/e2e/code-shim (these machines cannot download
 * desktop VS Code). Elsewhere the same suite runs unchanged in desktop VS Code:
 *   BLENS_VSCODE=download npm run test:integration       # test-electron downloads VS Code
 *   VSCODE_EXECUTABLE=/path/to/code npm run test:integration
 * BLENS_TESTS_PATH overrides the suite (an absolute path to a module exporting run()).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { copyToTemp, extensionUnderTest, repoRoot } from './codeServer';

if (process.env.NODE_TEST_CONTEXT) process.exit(0);

async function main(): Promise<number> {
  const root = repoRoot();
  const extensionTestsPath = path.resolve(process.env.BLENS_TESTS_PATH ?? path.join(root, 'out', 'test', 'suite', 'index'));
  if (!fs.existsSync(`${extensionTestsPath}.js`) && !fs.existsSync(extensionTestsPath)) {
    console.error(`no integration suite at ${extensionTestsPath}(.js): build first (tsc -p .)`);
    return 1;
  }
  const workspace = copyToTemp(path.join(root, 'test', 'e2e', 'workspace'), 'blens-it-ws-');
  const vscodeExecutablePath =
    process.env.BLENS_VSCODE === 'download' ? undefined : (process.env.VSCODE_EXECUTABLE ?? path.join(root, 'test', 'e2e', 'code-shim'));
  console.log(`integration tests: ${extensionTestsPath} in ${vscodeExecutablePath ?? 'downloaded VS Code'}, workspace ${workspace}`);
  const t0 = Date.now();
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: extensionUnderTest(),
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions'],
      extensionTestsEnv: { BLENS_TEST_WORKSPACE: workspace },
    });
    console.log(`integration tests passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error(`integration tests failed: ${err instanceof Error ? err.message : err}`);
    return 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
