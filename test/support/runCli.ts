/**
 * The CLI in a child process, without blocking this one: tests that serve a mock hub from this
 * process need its event loop free while the CLI talks to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.resolve(__dirname, '../../src/cli/main.js');

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, done };
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv) => startCli(args, env).done;
