#!/usr/bin/env node
/**
 * `backward-lens analyze`: runs one Backward Lens analysis and prints the FF1 (x_i) and FF2 (δ_i)
 * grids as layer × token tables; `--json FILE` also writes the `*.blens.json` result. `--model`
 * takes a path or a Hugging Face id, downloaded into the shared cache when missing.
 * `backward-lens models`: the cached Hugging Face models it can run.
 */
import { parseArgs } from 'node:util';
import { ModelLoadError } from '../files/modelLoadError';
import { NonFiniteResultError } from '../engine/finiteCheck';
import { InputError } from '../engine/lossPlan';
import { ExecutionProviderError } from '../engine/session';
import { openEngine } from '../engine/open';
import { EXECUTION_PROVIDER_CHOICES, type ExecutionProviderChoice } from '../engine/api';
import { choiceProblem, topKProblem } from '../engine/options';
import { LOSS_MODES, PRECISIONS, type BackwardLensResult, type LossMode, type Precision } from '../result/schema';
import { checkResultPath, ResultPathError, writeResultFile } from '../report/resultFile';
import { runEditCommand } from './edit';
import { EXPERIMENT_OPTIONS, EXPERIMENT_USAGE, experimentProblem, experimentRequest } from './experimentFlags';
import { AnalysisProgress } from './analysisProgress';
import { renderResultTables } from './table';
import { describePlan, MemoryPlanError } from '../engine/memoryPlan';
import { modelFolder } from './modelFolder';
import { renderModels } from './modelsCommand';
import { listCachedModels } from '../hub/cachedModels';
import { DownloadCancelled, HubError } from '../hub/hubError';
import { hubOptionsFromEnvironment } from '../hub/hubOptions';

const USAGE = `usage: backward-lens analyze --prompt TEXT [--target TEXT] [--model PATH|ORG/NAME[@REVISION]]
       [--loss ${LOSS_MODES.join('|')}] [--top-k 5] [--normalized] [--vectors]
       [--projection ${PRECISIONS.join('|')}] [--matmuls ${PRECISIONS.join('|')}]
       [--provider ${EXECUTION_PROVIDER_CHOICES.join('|')}] [--json FILE [--force]] ${EXPERIMENT_USAGE}
       backward-lens edit --help
       backward-lens models`;

class UsageError extends Error {}

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      prompt: { type: 'string' },
      target: { type: 'string', default: '' },
      model: { type: 'string' },
      loss: { type: 'string', default: 'paper' },
      'top-k': { type: 'string', default: '5' },
      normalized: { type: 'boolean', default: false },
      vectors: { type: 'boolean', default: false },
      provider: { type: 'string', default: 'auto' },
      projection: { type: 'string', default: 'float32' },
      matmuls: { type: 'string', default: 'float32' },
      json: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...EXPERIMENT_OPTIONS,
    },
  });
  if (values.help) return undefined;
  if (positionals[0] === 'models') {
    if (argv.length > 1) throw new UsageError('models takes no options');
    return 'models' as const;
  }
  if (positionals[0] !== 'analyze' || positionals.length > 1) throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const check = (problem: string | undefined) => {
    if (problem) throw new UsageError(problem);
  };
  check(choiceProblem('--loss', values.loss, LOSS_MODES));
  // A flag is text: only digits make a number, so "2.5" or "five" is named as typed.
  const topK = /^\d+$/.test(values['top-k']) ? Number(values['top-k']) : values['top-k'];
  check(topKProblem('--top-k', topK));
  check(choiceProblem('--provider', values.provider, EXECUTION_PROVIDER_CHOICES));
  check(choiceProblem('--projection', values.projection, PRECISIONS));
  check(choiceProblem('--matmuls', values.matmuls, PRECISIONS));
  check(experimentProblem(values));
  return {
    ...values,
    prompt: values.prompt,
    lossMode: values.loss as LossMode,
    topK: topK as number,
    provider: values.provider as ExecutionProviderChoice,
    projection: values.projection as Precision,
    matmuls: values.matmuls as Precision,
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'edit') return runEditCommand(argv.slice(1));
  const options = parseCommandLine(argv);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  if (options === 'models') {
    const { cacheDir } = hubOptionsFromEnvironment();
    console.log(renderModels(listCachedModels(cacheDir), cacheDir));
    return 0;
  }
  // Checked first: a path that cannot be written should not cost an analysis.
  if (options.json !== undefined) checkResultPath(options.json, options.force);
  const modelPath = await modelFolder(options.model);
  const progress = new AnalysisProgress();
  const engine = await openEngine(modelPath, { executionProvider: options.provider }).catch((error: Error) => {
    progress.stop();
    throw error;
  });
  try {
    const result: BackwardLensResult = await engine.analyze({
      prompt: options.prompt,
      target: options.target,
      lossMode: options.lossMode,
      topK: options.topK,
      normalized: options.normalized,
      projection: options.projection,
      matmuls: options.matmuls,
      vectors: options.vectors,
      ...experimentRequest(options),
    }, { onProgress: progress.onProgress });
    progress.stop();
    // The plan at this prompt's length: what a longer one, or a bigger model, would run into.
    console.log(renderResultTables(result, describePlan(await engine.memoryPlan(result.tokens.length, options.matmuls))));
    if (options.json !== undefined) {
      await writeResultFile(options.json, result, options.force);
      console.log(`wrote ${options.json}`);
    }
  } finally {
    progress.stop();
    await engine.dispose();
  }
  return 0;
}

/** Errors that say what the user can do: printed as one line, exit 2. Anything else is a bug (exit 1). */
const KNOWN_ERRORS = [ModelLoadError, MemoryPlanError, HubError, InputError, ResultPathError, NonFiniteResultError, ExecutionProviderError, UsageError];

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    const known = KNOWN_ERRORS.some((type) => error instanceof type) || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`backward-lens: ${known ? error.message : `unexpected error: ${error.message}`}`);
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    // 130 is how shells report a command stopped by Ctrl+C.
    process.exit(error instanceof DownloadCancelled ? 130 : known ? 2 : 1);
  },
);
