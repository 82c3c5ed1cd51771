/**
 * `backward-lens edit`: an in-memory edit of the MLP weights (the paper's forward-pass shift, or
 * one SGD step) and the next-token read-outs before and after, on the prompt and its neighbours;
 * `--sweep` finds, per layer, the smallest η of a grid that makes the target the argmax.
 */
import { parseArgs } from 'node:util';
import { EDIT_LOSS_MODES, EDIT_METHODS, EXECUTION_PROVIDER_CHOICES, type EditLossMode, type EditMethod, type Engine, type ExecutionProviderChoice } from '../engine/api';
import { openEngine } from '../engine/open';
import { choiceProblem, topKProblem } from '../engine/options';
import { checkResultPath, writeJsonFile } from '../report/resultFile';
import { renderEdit, renderSweep } from './editTable';
import { modelFolder } from './modelFolder';

export const EDIT_USAGE = `usage: backward-lens edit --prompt TEXT --target TEXT --method ${EDIT_METHODS.join('|')}
       (--layer L | --layers A,B,…) --eta E [--neighbour TEXT]…
       [--loss ${EDIT_LOSS_MODES.join('|')}] [--top-k 5] [--model PATH]
       [--provider ${EXECUTION_PROVIDER_CHOICES.join('|')}] [--json FILE [--force]]
   or: backward-lens edit --sweep --eta E1,E2,… [--layers A,B,…] (default: every layer)
       with the same --prompt, --target, --method and options`;

const EDIT_OPTIONS = {
  prompt: { type: 'string' },
  target: { type: 'string' },
  method: { type: 'string' },
  layer: { type: 'string' },
  layers: { type: 'string' },
  eta: { type: 'string' },
  neighbour: { type: 'string', multiple: true, default: [] as string[] },
  sweep: { type: 'boolean', default: false },
  loss: { type: 'string', default: 'paper' },
  'top-k': { type: 'string', default: '5' },
  model: { type: 'string' },
  provider: { type: 'string', default: 'auto' },
  json: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** Bad flags: printed with this command's usage. */
class EditUsageError extends Error {}

function parseEditLine(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: EDIT_OPTIONS });
  if (values.help) return undefined;
  const check = (problem: string | undefined) => {
    if (problem) throw new EditUsageError(problem);
  };
  check(positionals.length > 0 ? `edit takes no words besides its options, not "${positionals.join(' ')}"` : undefined);
  for (const name of ['prompt', 'target', 'method', 'eta'] as const) check(values[name] === undefined ? `--${name} is required` : undefined);
  check(choiceProblem('--method', values.method, EDIT_METHODS));
  check(choiceProblem('--loss', values.loss, EDIT_LOSS_MODES));
  check(choiceProblem('--provider', values.provider, EXECUTION_PROVIDER_CHOICES));
  const topK = /^\d+$/.test(values['top-k']) ? Number(values['top-k']) : values['top-k'];
  check(topKProblem('--top-k', topK));
  check(values.layer !== undefined && values.layers !== undefined ? 'give --layer or --layers, not both' : undefined);
  check(!values.sweep && values.layer === undefined && values.layers === undefined ? '--layer L or --layers A,B,… is required (only --sweep defaults to every layer)' : undefined);
  check(values.sweep && values.neighbour.length > 0 ? '--neighbour goes with an edit, not with --sweep' : undefined);
  const layerText = values.layer ?? values.layers;
  const layers = layerText === undefined ? undefined : wholeNumbers(values.layer !== undefined ? '--layer' : '--layers', layerText, values.layer !== undefined);
  const etas = positiveNumbers(values.eta!, values.sweep);
  return { ...values, prompt: values.prompt!, target: values.target!, method: values.method as EditMethod, lossMode: values.loss as EditLossMode, topK: topK as number, provider: values.provider as ExecutionProviderChoice, layers, etas };
}

function wholeNumbers(flag: string, text: string, single: boolean): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if ((single && parts.length > 1) || !parts.every((part) => /^\d+$/.test(part))) {
    throw new EditUsageError(`${flag} must be ${single ? 'a layer number' : 'layer numbers separated by commas'}, not "${text}"`);
  }
  return parts.map(Number);
}

function positiveNumbers(text: string, grid: boolean): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const numbers = parts.map((part) => (part === '' ? NaN : Number(part)));
  if ((!grid && parts.length > 1) || !numbers.every((n) => Number.isFinite(n) && n > 0)) {
    throw new EditUsageError(`--eta must be ${grid ? 'positive numbers separated by commas (the sweep\'s grid)' : 'one positive number (a grid goes with --sweep)'}, not "${text}"`);
  }
  return numbers;
}

/** Runs the command; usage errors are printed here (with this command's usage), others are left to the CLI's one-line handler. */
export async function runEditCommand(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseEditLine(argv);
  } catch (error) {
    if (!(error instanceof EditUsageError) && !(error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`backward-lens: ${(error as Error).message}`);
    console.error(EDIT_USAGE);
    return 2;
  }
  if (!options) {
    console.log(EDIT_USAGE);
    return 0;
  }
  const engine = await openCommandEngine(options);
  try {
    const common = { prompt: options.prompt, target: options.target, method: options.method, lossMode: options.lossMode, topK: options.topK };
    const written = options.sweep
      ? await engine.sweepEdit({ ...common, etas: options.etas, ...(options.layers ? { layers: options.layers } : {}) })
      : await engine.edit({ ...common, layers: options.layers!, eta: options.etas[0], neighbours: options.neighbour });
    console.log('etas' in written ? renderSweep(written, engine.modelName) : renderEdit(written, engine.modelName));
    if (options.json !== undefined) {
      await writeJsonFile(options.json, `${JSON.stringify(written, null, 2)}\n`, options.force);
      console.log(`wrote ${options.json}`);
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}

/** The engine for --model (default: the embedded model) and --provider, once the --json path is known to be writable: a bad path should not cost a run. */
async function openCommandEngine(options: { model?: string; provider: ExecutionProviderChoice; json?: string; force: boolean }): Promise<Engine> {
  if (options.json !== undefined) checkResultPath(options.json, options.force);
  return openEngine(await modelFolder(options.model), { executionProvider: options.provider });
}
