/**
 * The bench's PyTorch part (issue 10, item 6): the same GPT-2-small-shaped analysis done the PyTorch
 * way (torchBaseline.py: eager model, hooks, backward, top-k of both projections), against the
 * engine's warm analysis and a one-shot CLI process. Bench-only: PyTorch is Debian's python3-torch,
 * with OpenBLAS as its BLAS (Debian's default libblas3 is the reference BLAS, ≈ 10× slower).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../src/tokenizer/tokenizer';
import { promptOfLength } from './prompts';
import { median } from './stats';

export const TORCH_SETUP = 'apt-get install python3-torch libopenblas0-pthread';
/** The two prompt lengths the issue compares at: the warm grid, and the one-shot CLI answer. */
export const TORCH_WARM_TOKENS = 32;
export const TORCH_ONE_SHOT_TOKENS = 21;

export interface TorchRun {
  T: number;
  /** Parameters require grad, as a Hugging Face model's do by default, so backward also forms every ∇W. */
  weightGrads: boolean;
  wallMs: number[];
  /** The median of the runs after the first. */
  warmMs: number;
  loss: number;
  threads: number;
  torch: string;
}

export interface CliRun {
  T: number;
  /** Whether the engine's graph and optimized-model cache were already on disk. */
  cached: boolean;
  wallMs: number;
  loss: number;
}

/** The Python that can import torch, or why there is none. */
export function torchPython(): { python: string } | { missing: string } {
  const python = process.env.BACKWARD_LENS_TORCH_PYTHON ?? '/usr/bin/python3';
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return { python };
  } catch {
    return { missing: `${python} cannot import torch (set BACKWARD_LENS_TORCH_PYTHON, or as root: ${TORCH_SETUP})` };
  }
}

/** The PyTorch way's timings at T tokens: `runs` analyses in one process. */
export async function measureTorch(python: string, modelDir: string, tokenizer: Tokenizer, T: number, target: string, weightGrads: boolean, runs: number, scratch: string): Promise<TorchRun> {
  const prompt = promptOfLength(tokenizer, T);
  const specFile = path.join(scratch, `torch-${T}-${weightGrads}.spec.json`);
  const resultFile = path.join(scratch, `torch-${T}-${weightGrads}.result.json`);
  const spec = { modelDir, ids: tokenizer.encode(prompt), targetIds: tokenizer.encode(target), k: 5, runs, weightGrads };
  fs.writeFileSync(specFile, JSON.stringify(spec));
  await finish(python, [path.resolve(__dirname, '../../bench/torchBaseline.py'), specFile, resultFile], {});
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { wallMs: number[]; loss: number; threads: number; torch: string };
  return { T, weightGrads, ...result, warmMs: median(result.wallMs.slice(1)) };
}

/** One `backward-lens analyze` process, start to exit, with its cache under `cacheHome`. */
export async function measureCli(modelDir: string, tokenizer: Tokenizer, T: number, target: string, cacheHome: string, cached: boolean): Promise<CliRun> {
  const cli = path.resolve(__dirname, '../src/cli/main.js');
  // The saved file carries the loss in full precision; the table rounds it.
  const resultFile = path.join(cacheHome, `cli-${T}-${cached}.blens.json`);
  const args = [cli, 'analyze', '--model', modelDir, '--prompt', promptOfLength(tokenizer, T), '--target', target, '--loss', 'paper', '--provider', 'cpu', '--json', resultFile, '--force'];
  const t0 = performance.now();
  await finish(process.execPath, args, { XDG_CACHE_HOME: cacheHome });
  const wallMs = performance.now() - t0;
  const { loss } = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { loss: number };
  return { T, cached, wallMs, loss };
}

/** Runs a command to its end; rejects with its stderr. */
function finish(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${path.basename(args[0])} exited ${code}:\n${stderr}`))));
  });
}
