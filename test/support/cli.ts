/** Running the built command line as a user does, and what every one of its errors must look like. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../../src/cli/main.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A runner whose graph and hash caches live under `cacheHome`. */
export function cliRunner(cacheHome: string): (...args: string[]) => CliRun {
  return (...args) => {
    const child = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  };
}

/** A non-zero exit with one `backward-lens: …` line matching `pattern` first, and no stack trace. */
export function assertCleanError(result: CliRun, pattern: RegExp): void {
  assert.notEqual(result.status, 0);
  const firstLine = result.stderr.split('\n')[0];
  assert.match(firstLine, /^backward-lens: /);
  assert.match(firstLine, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}
