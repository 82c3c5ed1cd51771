/**
 * One measurement in its own process, so peak RSS belongs to that measurement alone:
 * `node out/bench/worker.js <spec.json> <result.json>`. Progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openEngine, openEngineFor } from '../src/engine/open';
import { loadModel } from '../src/model/load';
import { hookSessionCreate, reusableOptions } from './ortHook';
import { profileEngine, ProfileSummary } from './profile';
import { promptOfLength } from './prompts';
import { fallbackSessionOptions, measureRoof, RoofTiming, RoofVariant } from './roof';
import type * as ort from 'onnxruntime-node';
import { median, peakRssBytes } from './stats';

export type WorkerSpec =
  | { kind: 'engine'; label: string; modelPath: string; T: number; target: string; warmRuns: number; warmBudgetMs: number; cacheDir: string; cached: boolean }
  | { kind: 'roof'; Ts: number[]; d: number; vocab: number; cellsPerToken: number; runs: number; variants: RoofVariant[]; optionsFromModel: string; cacheDir: string }
  | { kind: 'profile'; modelPath: string; T: number; target: string; runs: number; workDir: string };

export interface EngineMeasurement {
  kind: 'engine';
  label: string;
  T: number;
  tokens: number;
  cached: boolean;
  /** loadModel + openEngineFor: model load + tokenizer + weight sha256 (cached by the engine in cacheDir). */
  openMs: number;
  /** The first analyze's timings.compileMs: graph build + serialise + session create. */
  compileMs: number;
  /** Of compileMs, the time inside onnxruntime's InferenceSession.create; the rest is graph build, serialisation and cache writes. */
  sessionCreateMs: number;
  /** Peak RSS when InferenceSession.create returned (before any run). */
  peakRssAfterCreateBytes: number;
  /** Wall time of the first analyze (compile + first run + result). */
  firstWallMs: number;
  /** The first analyze's timings.runMs. */
  firstRunMs: number;
  warmWallMs: number[];
  warmRunMs: number[];
  warmWallMedianMs: number;
  warmRunMedianMs: number;
  /** Median of (process CPU time / wall time) over the warm analyses: ≈ threads used when nothing else competes. */
  warmCpuPerWall: number;
  /** True when the warm runs were cut short (fewer than asked) by the warm time budget. */
  warmRunsCut: boolean;
  baselineRssBytes: number;
  peakRssBytes: number;
  weightsBytes: number;
  engineLog: string[];
}

export interface RoofMeasurement {
  kind: 'roof';
  timings: RoofTiming[];
  /** The session options the roof ran with, and where they came from. */
  sessionOptions: Record<string, unknown>;
  sessionOptionsSource: string;
  peakRssBytes: number;
}

export interface ProfileMeasurement {
  kind: 'profile';
  summary: ProfileSummary;
  peakRssBytes: number;
}

export type WorkerResult = EngineMeasurement | RoofMeasurement | ProfileMeasurement;

const log = (line: string) => process.stderr.write(`    ${line}\n`);

async function measureEngine(spec: Extract<WorkerSpec, { kind: 'engine' }>): Promise<EngineMeasurement> {
  const baselineRssBytes = peakRssBytes();
  const engineLog: string[] = [];
  let sessionCreateMs = NaN;
  let peakRssAfterCreateBytes = NaN;
  const unhook = hookSessionCreate({}, (created) => {
    sessionCreateMs = created.createMs;
    peakRssAfterCreateBytes = peakRssBytes();
  });
  const t0 = performance.now();
  const model = await loadModel(spec.modelPath);
  const engine = await openEngineFor(model, { executionProvider: 'cpu', cacheDir: spec.cacheDir }, (line) => engineLog.push(line));
  const openMs = performance.now() - t0;
  try {
    const prompt = promptOfLength(model.tokenizer, spec.T);
    const request = { prompt, target: spec.target, lossMode: 'paper' as const, topK: 5 };
    const t1 = performance.now();
    const first = await engine.analyze(request);
    const firstWallMs = performance.now() - t1;
    if (first.tokens.length !== spec.T) throw new Error(`prompt has ${first.tokens.length} tokens, wanted ${spec.T}`);
    if (first.layers.length !== model.config.layers || first.layers[0].ff1.top[0].length !== 5) throw new Error('incomplete grid');
    log(`${spec.label} T=${spec.T}${spec.cached ? ' (cached)' : ''}: open ${openMs.toFixed(0)} ms, compile ${first.timings.compileMs.toFixed(0)} ms (of which ort create ${sessionCreateMs.toFixed(0)} ms), first run ${first.timings.runMs.toFixed(0)} ms`);
    const warmWallMs: number[] = [];
    const warmRunMs: number[] = [];
    const warmCpuPerWall: number[] = [];
    const warmStart = performance.now();
    let warmRunsCut = false;
    for (let r = 0; r < spec.warmRuns; r++) {
      // Slow configurations keep at least 3 warm runs, then stop once the budget is spent.
      if (r >= 3 && performance.now() - warmStart > spec.warmBudgetMs) {
        warmRunsCut = true;
        log(`${spec.label} T=${spec.T}: warm budget of ${(spec.warmBudgetMs / 1000).toFixed(0)} s spent after ${r} runs`);
        break;
      }
      const cpu0 = process.cpuUsage();
      const t2 = performance.now();
      const result = await engine.analyze(request);
      const wall = performance.now() - t2;
      const used = process.cpuUsage(cpu0);
      warmWallMs.push(wall);
      warmCpuPerWall.push((used.user + used.system) / 1000 / wall);
      warmRunMs.push(result.timings.runMs);
    }
    if (spec.warmRuns > 0) log(`${spec.label} T=${spec.T}: warm median ${median(warmWallMs).toFixed(1)} ms wall, ${median(warmRunMs).toFixed(1)} ms run (${warmWallMs.length} runs, ${median(warmCpuPerWall).toFixed(2)} cores busy)`);
    return {
      kind: 'engine',
      label: spec.label,
      T: spec.T,
      tokens: first.tokens.length,
      cached: spec.cached,
      openMs,
      compileMs: first.timings.compileMs,
      sessionCreateMs,
      firstWallMs,
      firstRunMs: first.timings.runMs,
      warmWallMs,
      warmRunMs,
      warmWallMedianMs: median(warmWallMs),
      warmRunMedianMs: median(warmRunMs),
      warmRunsCut,
      warmCpuPerWall: median(warmCpuPerWall),
      peakRssAfterCreateBytes,
      baselineRssBytes,
      peakRssBytes: peakRssBytes(),
      weightsBytes: model.weightFiles.reduce((sum, file) => sum + fs.statSync(file).size, 0),
      engineLog,
    };
  } finally {
    await engine.dispose();
    unhook();
  }
}

/**
 * The options the engine passes to onnxruntime on the CPU for its lens session (the one that runs
 * the projection), read by opening a (small) model through it.
 */
async function engineSessionOptions(modelPath: string, cacheDir: string): Promise<ort.InferenceSession.SessionOptions | undefined> {
  let options: ort.InferenceSession.SessionOptions | undefined;
  const isLens = (o: ort.InferenceSession.SessionOptions) => (o.extra as { session?: Record<string, string> } | undefined)?.session?.disable_prepacking === '0';
  const unhook = hookSessionCreate({}, (created) => {
    if (isLens(created.options)) options = reusableOptions(created.options);
  });
  try {
    const engine = await openEngine(modelPath, { executionProvider: 'cpu', cacheDir });
    try {
      await engine.analyze({ prompt: 'Once upon a time', target: ' there', lossMode: 'paper', topK: 5 });
    } finally {
      await engine.dispose();
    }
  } catch (error) {
    log(`could not capture the engine's session options: ${(error as Error).message}`);
    return undefined;
  } finally {
    unhook();
  }
  return options;
}

async function main(): Promise<void> {
  const [specFile, resultFile] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as WorkerSpec;
  let result: WorkerResult;
  if (spec.kind === 'engine') result = await measureEngine(spec);
  else if (spec.kind === 'roof') {
    const captured = await engineSessionOptions(spec.optionsFromModel, spec.cacheDir);
    const sessionOptions = captured ?? fallbackSessionOptions();
    const sessionOptionsSource = captured ? `captured from the engine opening ${path.basename(spec.optionsFromModel)}` : 'copy of src/engine/session.ts (capture failed)';
    log(`roof session options (${sessionOptionsSource}): ${JSON.stringify(sessionOptions)}`);
    const timings = await measureRoof(spec.Ts, { ...spec, sessionOptions, log });
    result = { kind: 'roof', timings, sessionOptions: sessionOptions as Record<string, unknown>, sessionOptionsSource, peakRssBytes: peakRssBytes() };
  } else {
    const summary = await profileEngine(spec.modelPath, spec.T, spec.target, spec.runs, spec.workDir, log);
    result = { kind: 'profile', summary, peakRssBytes: peakRssBytes() };
  }
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`worker failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
