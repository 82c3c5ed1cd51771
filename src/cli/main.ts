#!/usr/bin/env node
/**
 * `backward-lens analyze`: runs one Backward Lens analysis and prints the FF1 (x_i) and FF2 (δ_i)
 * grids as layer × token tables; `--json FILE` also writes the `*.blens.json` result.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ModelLoadError } from '../model/errors';
import { InputError } from '../engine/lossPlan';
import { ExecutionProviderError } from '../engine/session';
import { defaultModelPath, openEngine } from '../engine/open';
import type { ExecutionProviderChoice } from '../engine/api';
import { PRECISIONS, type BackwardLensResult, type LossMode, type Precision } from '../result/schema';
import { writeFileAtomic } from '../report/atomicWrite';
import { renderResultTables } from './table';

const USAGE = `usage: backward-lens analyze --prompt TEXT [--target TEXT] [--model PATH]
       [--loss paper|continuation|text] [--top-k 5] [--normalized] [--vectors]
       [--projection float32|float16] [--matmuls float32|float16]
       [--provider auto|cpu|cuda] [--json FILE]`;

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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  if (positionals[0] !== 'analyze' || positionals.length > 1) throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const lossMode = values.loss as LossMode;
  if (!['paper', 'continuation', 'text'].includes(lossMode)) throw new UsageError(`--loss must be paper, continuation or text, not "${values.loss}"`);
  const topK = Number(values['top-k']);
  if (!Number.isInteger(topK) || topK < 1) throw new UsageError(`--top-k must be a positive integer, not "${values['top-k']}"`);
  const provider = values.provider as ExecutionProviderChoice;
  if (!['auto', 'cpu', 'cuda'].includes(provider)) throw new UsageError(`--provider must be auto, cpu or cuda, not "${values.provider}"`);
  const precision = (flag: 'projection' | 'matmuls') => {
    const value = values[flag] as Precision;
    if (!PRECISIONS.includes(value)) throw new UsageError(`--${flag} must be ${PRECISIONS.join(' or ')}, not "${values[flag]}"`);
    return value;
  };
  return { ...values, prompt: values.prompt, lossMode, topK, provider, projection: precision('projection'), matmuls: precision('matmuls') };
}

async function main(argv: string[]): Promise<number> {
  const options = parseCommandLine(argv);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const modelPath = options.model ?? defaultModelPath(path.resolve(__dirname, '..', '..', '..'));
  const engine = await openEngine(modelPath, { executionProvider: options.provider });
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
    });
    console.log(renderResultTables(result));
    if (options.json) {
      await writeFileAtomic(options.json, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`wrote ${options.json}`);
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    const known = error instanceof ModelLoadError || error instanceof InputError || error instanceof ExecutionProviderError || error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`backward-lens: ${known ? error.message : `unexpected error: ${error.message}`}`);
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    process.exit(known ? 2 : 1);
  },
);
