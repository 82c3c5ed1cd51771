/**
 * `npm run bench`: times the full Backward Lens analysis on a GPT-2-small-shaped model (random
 * weights, real GPT-2 tokenizer) and on stories260K, against the roof (the bare vocabulary
 * projection GEMM through onnxruntime), checks the targets of issue 4, prints a table and
 * writes every number to bench-results/bench-<date>.json.
 *
 * With the 1B Llama-shaped model in float32 and bfloat16 (issue 10) against the floor of its work.
 *
 * With GPT-2-small done the PyTorch way (torchBaseline.py), against the engine warm and a one-shot CLI (issue 10),
 * and onnxruntime's session creation against node count (plannerScaling.ts), which bounds the one-shot's.
 *
 * Options: --quick (GPT-2 without T=256, no 1B model, no PyTorch, no planner), --only gpt2,roof,stories,llama1b,torch,planner,profile, --profile (adds the
 * per-node onnxruntime profile of GPT-2 at T=32), --runs N (warm runs, ≥5), --tokens 8,32
 * (GPT-2 prompt lengths), --cache-dir DIR, --out FILE.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../src/model/load';
import { ensureGpt2Model, GPT2_SMALL } from './gpt2Model';
import { ProfileRow } from './profile';
import { ensureLlamaModels, LLAMA_DTYPES, LLAMA_TOKENS, llamaDir, llamaFloor, memoryBandwidthGBs } from './llamaBench';
import { ROOF_VARIANTS, RoofTiming } from './roof';
import { measurePlannerScaling, type PlannerTiming } from './plannerScaling';
import { MB, median } from './stats';
import { measureCli, measureTorch, TORCH_ONE_SHOT_TOKENS, TORCH_WARM_TOKENS, torchPython, type CliRun, type TorchRun } from './torchBench';
import type { EngineMeasurement, ProfileMeasurement, RoofMeasurement, WorkerResult, WorkerSpec } from './worker';

const REPO_ROOT = path.resolve(__dirname, '../..');
const STORIES = path.resolve(__dirname, '../../../shared/models/stories260K');
const TARGET = ' Paris';

interface Options {
  quick: boolean;
  only: Set<string>;
  profile: boolean;
  runs: number;
  tokens: number[];
  storiesTokens: number[];
  warmBudgetMs: number;
  cacheDir: string;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const known = new Set(['--quick', '--only', '--profile', '--runs', '--tokens', '--warm-budget-s', '--cache-dir', '--out', '--help']);
  for (const arg of argv) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg} (known: ${[...known].join(' ')})`);
  if (argv.includes('--help')) {
    process.stdout.write('npm run bench -- [--quick] [--only gpt2,roof,stories,llama1b,torch,planner,profile] [--profile] [--runs N] [--tokens 8,32,...] [--warm-budget-s S] [--cache-dir DIR] [--out FILE]\n');
    process.exit(0);
  }
  const quick = argv.includes('--quick');
  const profile = argv.includes('--profile');
  const onlyList = value('--only')?.split(',').map((s) => s.trim()).filter(Boolean);
  const parts = ['gpt2', 'roof', 'stories', 'llama1b', 'torch', 'planner', 'profile'];
  for (const part of onlyList ?? []) if (!parts.includes(part)) throw new Error(`--only takes ${parts.join(', ')}`);
  const only = new Set(onlyList ?? ['gpt2', 'roof', 'stories', ...(quick ? [] : ['llama1b', 'torch', 'planner']), ...(profile ? ['profile'] : [])]);
  if (profile) only.add('profile');
  const runs = Math.max(5, Number(value('--runs') ?? 5));
  const tokens = value('--tokens')?.split(',').map(Number) ?? (quick ? [8, 32, 128] : [8, 32, 128, 256]);
  const cacheBase = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const cacheDir = path.resolve(value('--cache-dir') ?? path.join(cacheBase, 'backward-lens', 'bench'));
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  const out = path.resolve(value('--out') ?? path.join(REPO_ROOT, 'bench-results', `bench-${stamp}.json`));
  const warmBudgetMs = 1000 * Number(value('--warm-budget-s') ?? 90);
  return { quick, only, profile: only.has('profile'), runs, tokens, storiesTokens: [16, 128], warmBudgetMs, cacheDir, out };
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Runs one measurement in a child process and returns what it wrote. */
function inChild(spec: WorkerSpec, scratch: string): Promise<WorkerResult> {
  const id = `${spec.kind}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const specFile = path.join(scratch, `${id}.spec.json`);
  const resultFile = path.join(scratch, `${id}.result.json`);
  fs.writeFileSync(specFile, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'worker.js'), specFile, resultFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`${spec.kind} measurement failed (exit ${code ?? signal})`));
      resolve(JSON.parse(fs.readFileSync(resultFile, 'utf8')) as WorkerResult);
    });
  });
}

/** Cold (fresh cache folder) then cached-cold (same folder, warm disk cache) measurements of one model at one T. */
async function measureModel(label: string, modelPath: string, T: number, warmRuns: number, warmBudgetMs: number, scratch: string): Promise<{ cold: EngineMeasurement; cached: EngineMeasurement }> {
  const cacheDir = path.join(scratch, `cache-${label}-${T}`);
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const base = { kind: 'engine' as const, label, modelPath, T, target: TARGET, cacheDir, warmBudgetMs };
  const cold = (await inChild({ ...base, warmRuns, cached: false }, scratch)) as EngineMeasurement;
  const cached = (await inChild({ ...base, warmRuns: 0, cached: true }, scratch)) as EngineMeasurement;
  fs.rmSync(cacheDir, { recursive: true, force: true });
  return { cold, cached };
}

/** PyTorch's warm analyses (with and without weight gradients) at both lengths, the engine's warm one, and one-shot CLI processes, cold then cached. */
async function measureTorchPart(gpt2Dir: string, gpt2: ModelRow[], runs: number, warmBudgetMs: number, scratch: string): Promise<TorchPart> {
  const found = torchPython();
  if ('missing' in found) {
    say(`torch: skipped, ${found.missing}`);
    return found;
  }
  const { tokenizer } = await loadModel(gpt2Dir);
  const torchRuns: TorchRun[] = [];
  for (const T of [TORCH_WARM_TOKENS, TORCH_ONE_SHOT_TOKENS]) {
    for (const weightGrads of [true, false]) {
      say(`torch: GPT-2-small (random) T=${T}, ${weightGrads ? 'with' : 'without'} weight gradients`);
      torchRuns.push(await measureTorch(found.python, gpt2Dir, tokenizer, T, TARGET, weightGrads, runs + 1, scratch));
    }
  }
  const engineWarm = gpt2.find((r) => r.T === TORCH_WARM_TOKENS) ?? { T: TORCH_WARM_TOKENS, ...(await measureModel('gpt2', gpt2Dir, TORCH_WARM_TOKENS, runs, warmBudgetMs, scratch)) };
  const cacheHome = path.join(scratch, 'cli-cache');
  fs.rmSync(cacheHome, { recursive: true, force: true });
  fs.mkdirSync(cacheHome, { recursive: true });
  const cli: CliRun[] = [];
  for (const cached of [false, true, true, true]) {
    say(`torch: one-shot CLI T=${TORCH_ONE_SHOT_TOKENS}${cached ? ' (cached graph)' : ' (empty cache)'}`);
    cli.push(await measureCli(gpt2Dir, tokenizer, TORCH_ONE_SHOT_TOKENS, TARGET, cacheHome, cached));
  }
  return { runs: torchRuns, cli, engineWarm };
}
type TorchPart = { runs: TorchRun[]; cli: CliRun[]; engineWarm: ModelRow } | { missing: string };

function machineInfo(): Record<string, unknown> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemBytes: os.totalmem(),
    loadAverage: os.loadavg(),
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    node: process.version,
    onnxruntimeNode: (require('onnxruntime-node/package.json') as { version: string }).version,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const fmtMs = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const fmtMB = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / MB).toFixed(0)} MB`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const warmCell = (m: EngineMeasurement) => `${fmtMs(m.warmWallMedianMs)}${m.warmRunsCut ? ` (${m.warmWallMs.length} runs*)` : ''}`;
const compileCell = (m: EngineMeasurement) => `${fmtMs(m.compileMs)} (${fmtMs(m.sessionCreateMs)})`;

type ModelRow = { T: number; cold: EngineMeasurement; cached: EngineMeasurement };

/** One row per prompt length of a model's measurements; `middle` adds columns after the warm times. */
function engineTable(rows: ModelRow[], middle: { headers: string[]; cells: (row: ModelRow) => string[] }): string {
  return table(
    ['T', 'open', 'cold compile (ort)', 'cached compile (ort)', 'first run', 'warm wall', 'warm run', ...middle.headers, 'cores', 'RSS@create', 'peak RSS', 'RSS−weights'],
    rows.map((row) => {
      const { T, cold, cached } = row;
      return [
        String(T),
        fmtMs(cold.openMs),
        compileCell(cold),
        compileCell(cached),
        fmtMs(cold.firstRunMs),
        warmCell(cold),
        fmtMs(cold.warmRunMedianMs),
        ...middle.cells(row),
        cold.warmCpuPerWall.toFixed(2),
        fmtMB(cold.peakRssAfterCreateBytes),
        fmtMB(cold.peakRssBytes),
        fmtMB(cold.peakRssBytes - cold.weightsBytes),
      ];
    }),
  );
}

interface Target {
  name: string;
  measured: string;
  limit: string;
  pass: boolean | undefined;
}

function profileTable(rows: ProfileRow[], limit: number, withShapes: boolean, withOp = true): string {
  return table(
    ['#', withShapes ? 'node' : 'name', ...(withOp ? ['op'] : []), 'ms/run', 'share', 'calls/run', ...(withShapes ? ['shapes (in → out)'] : [])],
    rows.slice(0, limit).map((r, i) => [
      String(i + 1),
      r.name,
      ...(withOp ? [r.opType] : []),
      r.totalMs.toFixed(1),
      `${(100 * r.share).toFixed(1)}%`,
      r.calls.toFixed(0),
      ...(withShapes ? [r.shapes ?? ''] : []),
    ]),
  );
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const scratch = path.join(options.cacheDir, 'runs', `${process.pid}-${Date.now()}`);
  fs.mkdirSync(scratch, { recursive: true });
  const machine = machineInfo();
  say(`bench: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, onnxruntime-node ${machine.onnxruntimeNode}, load ${(machine.loadAverage as number[]).map((l) => l.toFixed(2)).join(' ')}`);
  const startedAt = new Date().toISOString();
  const results: {
    gpt2: { T: number; cold: EngineMeasurement; cached: EngineMeasurement }[];
    stories: { T: number; cold: EngineMeasurement; cached: EngineMeasurement }[];
    llama: { dtype: string; T: number; cold: EngineMeasurement; cached: EngineMeasurement }[];
    bandwidthGBs?: number;
    roof?: RoofMeasurement;
    profile?: ProfileMeasurement;
    torch?: TorchPart;
    planner?: PlannerTiming[];
    model?: { dir: string; weightsBytes: number; generatedMs?: number };
  } = { gpt2: [], stories: [], llama: [] };

  try {
    const needGpt2 = options.only.has('gpt2') || options.only.has('profile') || options.only.has('torch');
    const gpt2Dir = path.join(options.cacheDir, 'gpt2-small-random');
    if (needGpt2) {
      const model = ensureGpt2Model(gpt2Dir, say);
      results.model = model;
      const loaded = await loadModel(gpt2Dir);
      const paris = loaded.tokenizer.encode(' Paris');
      const hello = loaded.tokenizer.encode('Hello world');
      if (paris.join() !== '6342' || hello.join() !== '15496,995') {
        throw new Error(`the bench model's tokenizer is not GPT-2's: " Paris" → [${paris}], "Hello world" → [${hello}]`);
      }
      say(`tokenizer check: " Paris" → [${paris}], "Hello world" → [${hello}] (GPT-2's)`);
    }
    if (options.only.has('gpt2')) {
      for (const T of options.tokens) {
        say(`GPT-2-small (random) T=${T}`);
        results.gpt2.push({ T, ...(await measureModel('gpt2', gpt2Dir, T, options.runs, options.warmBudgetMs, scratch)) });
      }
    }
    if (options.only.has('roof')) {
      say('roof: bare vocabulary projection GEMM');
      results.roof = (await inChild(
        { kind: 'roof', Ts: options.tokens, d: GPT2_SMALL.hidden, vocab: GPT2_SMALL.vocab, cellsPerToken: 2 * GPT2_SMALL.layers, runs: options.runs, variants: ROOF_VARIANTS, optionsFromModel: STORIES, cacheDir: path.join(scratch, 'cache-roof-options') },
        scratch,
      )) as RoofMeasurement;
    }
    if (options.only.has('stories')) {
      for (const T of options.storiesTokens) {
        say(`stories260K T=${T}`);
        results.stories.push({ T, ...(await measureModel('stories260K', STORIES, T, Math.max(options.runs, 15), options.warmBudgetMs, scratch)) });
      }
    }
    if (options.only.has('llama1b')) {
      ensureLlamaModels(options.cacheDir, say);
      results.bandwidthGBs = memoryBandwidthGBs();
      say(`memory bandwidth (buffer copy, read + write): ${results.bandwidthGBs.toFixed(1)} GB/s`);
      for (const dtype of LLAMA_DTYPES) {
        say(`Llama 1B (random) ${dtype} T=${LLAMA_TOKENS}`);
        results.llama.push({ dtype, T: LLAMA_TOKENS, ...(await measureModel(`llama-1b-${dtype}`, llamaDir(options.cacheDir, dtype), LLAMA_TOKENS, options.runs, options.warmBudgetMs, scratch)) });
      }
    }
    if (options.only.has('torch')) results.torch = await measureTorchPart(gpt2Dir, results.gpt2, options.runs, options.warmBudgetMs, scratch);
    if (options.only.has('planner')) {
      say('planner: onnxruntime session creation against node count');
      results.planner = await measurePlannerScaling();
    }
    if (options.only.has('profile')) {
      say('profile: GPT-2-small (random) T=32, onnxruntime per-node profiler');
      results.profile = (await inChild({ kind: 'profile', modelPath: gpt2Dir, T: 32, target: TARGET, runs: 3, workDir: path.join(scratch, 'profile') }, scratch)) as ProfileMeasurement;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  // ---- report
  const out: string[] = [];
  const roofAt = (T: number, variant = ROOF_VARIANTS[0]): RoofTiming | undefined => results.roof?.timings.find((r) => r.T === T && r.variant === variant);
  if (results.gpt2.length) {
    const weights = results.gpt2[0].cold.weightsBytes;
    out.push(`GPT-2-small shape (random weights, real GPT-2 tokenizer), CPU provider; weights ${fmtMB(weights)}; warm = median of ${options.runs}`);
    out.push(
      engineTable(results.gpt2, {
        headers: ['roof', 'warm/roof', 'ms/token'],
        cells: ({ T, cold }) => {
          const roof = roofAt(T);
          return [fmtMs(roof?.medianMs), roof ? `${(cold.warmWallMedianMs / roof.medianMs).toFixed(2)}×` : '—', (cold.warmWallMedianMs / T).toFixed(1)];
        },
      }),
    );
    out.push('  open = openEngine (load + weight sha256, uncached in a fresh cache dir); cold/cached compile = first analyze\'s timings.compileMs');
    out.push('  (graph build + session create) with an empty / a warm disk cache, in brackets the part spent in onnxruntime\'s InferenceSession.create;');
    out.push('  first run and warm run = timings.runMs (session.run); warm wall = analyze() wall time (run + building the result in JavaScript);');
    out.push('  RSS@create = peak RSS when InferenceSession.create returned; * = warm runs cut short by --warm-budget-s (median of fewer runs).');
  }
  if (results.roof) {
    out.push('');
    out.push(`Roof: [${2 * GPT2_SMALL.layers}·T × ${GPT2_SMALL.hidden}] × [${GPT2_SMALL.hidden} × ${GPT2_SMALL.vocab}] float32 through onnxruntime-node (same CPU options as the engine); median of ${options.runs}`);
    const Ts = [...new Set(results.roof.timings.map((r) => r.T))];
    out.push(
      table(
        ['T', 'rows', ...ROOF_VARIANTS.flatMap((v) => [v, 'GFLOP/s', 'cores'])],
        Ts.map((T) => [
          String(T),
          String(2 * GPT2_SMALL.layers * T),
          ...ROOF_VARIANTS.flatMap((v) => [fmtMs(roofAt(T, v)?.medianMs), roofAt(T, v)?.gflops.toFixed(0) ?? '—', roofAt(T, v)?.cpuPerWall.toFixed(2) ?? '—']),
        ]),
      ),
    );
    out.push(`  headline roof = ${ROOF_VARIANTS[0]} (compute only; output reduced in-graph); matmul-full returns the whole matrix to JavaScript;`);
    out.push('  variants take turns run by run; cores = process CPU time / wall (2.00 = both cores ours; less = other load on the machine).');
  }
  if (results.stories.length) {
    out.push('');
    out.push(`stories260K (Llama, 5 layers, d=64, V=512), CPU provider; weights ${fmtMB(results.stories[0].cold.weightsBytes)}; warm = median of ${Math.max(options.runs, 15)}`);
    out.push(engineTable(results.stories, { headers: [], cells: () => [] }));
  }

  const targets: Target[] = [];
  const gemmRate = roofAt(32)?.gflops;
  if (results.llama.length) {
    const floor = gemmRate && results.bandwidthGBs ? llamaFloor(LLAMA_TOKENS, gemmRate, results.bandwidthGBs) : undefined;
    out.push('');
    out.push(`Llama-shaped 1.07B (random weights, GPT-2 tokenizer; d=2048, 16 layers, 32/8 heads, d_ff=8192), CPU provider, T=${LLAMA_TOKENS}; warm = median of ${options.runs}`);
    out.push(
      engineTable(results.llama, {
        headers: ['dtype', 'floor', 'warm/floor'],
        cells: (row) => [(row as (typeof results.llama)[number]).dtype, fmtMs(floor?.ms), floor ? `${(row.cold.warmWallMedianMs / floor.ms).toFixed(2)}×` : '—'],
      }),
    );
    if (floor) {
      out.push(`  floor = (${floor.projectionGflop.toFixed(0)} GFLOP projection + ${floor.passesGflop.toFixed(0)} GFLOP forward/backward) at the roof's ${gemmRate!.toFixed(0)} GFLOP/s`);
      out.push(`  + 2 × ${fmtMB(floor.weightBytes)} of float32 weights at ${results.bandwidthGBs!.toFixed(1)} GB/s (a buffer copy's read + write rate)`);
    }
    const [f32, bf16] = LLAMA_DTYPES.map((dtype) => results.llama.find((r) => r.dtype === dtype));
    if (f32 && bf16) {
      const ratio = bf16.cold.warmWallMedianMs / f32.cold.warmWallMedianMs;
      targets.push({ name: '1B bf16 warm within 10 % of float32', measured: `${fmtMs(bf16.cold.warmWallMedianMs)} / ${fmtMs(f32.cold.warmWallMedianMs)} = ${ratio.toFixed(2)}×`, limit: '1.10×', pass: ratio <= 1.1 });
      targets.push({ name: '1B bf16 peak RSS ≤ float32 peak RSS + 10 %', measured: `${fmtMB(bf16.cold.peakRssBytes)} / ${fmtMB(f32.cold.peakRssBytes)}`, limit: fmtMB(1.1 * f32.cold.peakRssBytes), pass: bf16.cold.peakRssBytes <= 1.1 * f32.cold.peakRssBytes });
    }
    for (const r of results.llama) {
      if (floor) targets.push({ name: `1B ${r.dtype} warm ≤ 1.5 × floor`, measured: `${fmtMs(r.cold.warmWallMedianMs)} / ${fmtMs(floor.ms)}`, limit: '1.50×', pass: r.cold.warmWallMedianMs <= 1.5 * floor.ms });
      // A process's first analysis with the graph cached, as every start but a model's very first is.
      targets.push({ name: `1B ${r.dtype} first analysis (cached graph) ≤ 2 × warm`, measured: `${fmtMs(r.cached.firstWallMs)} / ${fmtMs(r.cold.warmWallMedianMs)}`, limit: '2.00×', pass: r.cached.firstWallMs <= 2 * r.cold.warmWallMedianMs });
      targets.push({ name: `1B ${r.dtype} compile ≤ 3 s with a cached graph`, measured: fmtMs(r.cached.compileMs), limit: '3 s', pass: r.cached.compileMs <= 3000 });
    }
  }
  if (results.torch && 'missing' in results.torch) out.push('', `PyTorch comparison skipped: ${results.torch.missing}`);
  if (results.torch && 'runs' in results.torch) {
    const { runs, cli, engineWarm } = results.torch;
    out.push('');
    out.push(`GPT-2-small shape, the PyTorch way (torch ${runs[0].torch}, ${runs[0].threads} threads, eager, hooks on c_fc inputs and c_proj output gradients, top-5 and bottom-5 of both projections); warm = median of ${runs[0].wallMs.length - 1} after the first`);
    out.push(
      table(
        ['T', 'weight gradients', 'first', 'warm', 'loss'],
        runs.map((r) => [String(r.T), r.weightGrads ? 'yes (HF default)' : 'no (activations only)', fmtMs(r.wallMs[0]), fmtMs(r.warmMs), r.loss.toFixed(4)]),
      ),
    );
    out.push(table(['one-shot CLI process', 'T', 'wall', 'loss'], cli.map((c, i) => [c.cached ? `cached graph (run ${i})` : 'empty cache', String(c.T), fmtMs(c.wallMs), c.loss.toFixed(4)])));
    const bestTorch = (T: number) => Math.min(...runs.filter((r) => r.T === T).map((r) => r.warmMs));
    const warmRatio = engineWarm.cold.warmWallMedianMs / bestTorch(TORCH_WARM_TOKENS);
    targets.push({ name: `GPT-2 T=${TORCH_WARM_TOKENS} engine warm < PyTorch warm (its faster variant)`, measured: `${fmtMs(engineWarm.cold.warmWallMedianMs)} / ${fmtMs(bestTorch(TORCH_WARM_TOKENS))} = ${warmRatio.toFixed(2)}×`, limit: '< 1.00×', pass: warmRatio < 1 });
    const cachedCli = median(cli.filter((c) => c.cached).map((c) => c.wallMs));
    const cliRatio = cachedCli / bestTorch(TORCH_ONE_SHOT_TOKENS);
    targets.push({ name: `GPT-2 T=${TORCH_ONE_SHOT_TOKENS} one-shot CLI process (cached graph, median) < PyTorch warm`, measured: `${fmtMs(cachedCli)} / ${fmtMs(bestTorch(TORCH_ONE_SHOT_TOKENS))} = ${cliRatio.toFixed(2)}×`, limit: '< 1.00×', pass: cliRatio < 1 });
    const lossGap = Math.max(...cli.map((c) => Math.abs(c.loss - runs.find((r) => r.T === c.T)!.loss)));
    targets.push({ name: `GPT-2 T=${TORCH_ONE_SHOT_TOKENS} CLI loss = PyTorch loss (4 decimals printed)`, measured: `|ΔL| ≤ ${lossGap.toExponential(1)}`, limit: '≤ 1e-3', pass: lossGap <= 1e-3 });
  }
  const g = (T: number) => results.gpt2.find((r) => r.T === T);
  const g32 = g(32);
  const roof32 = roofAt(32);
  if (g32 && roof32) {
    const ratio = g32.cold.warmWallMedianMs / roof32.medianMs;
    targets.push({ name: 'GPT-2 T=32 warm ≤ 1.3 × roof', measured: `${fmtMs(g32.cold.warmWallMedianMs)} / ${fmtMs(roof32.medianMs)} = ${ratio.toFixed(2)}×`, limit: '1.30×', pass: ratio <= 1.3 });
  }
  const longest = [...results.gpt2].filter((r) => r.T > 32).sort((a, b) => b.T - a.T)[0];
  if (g32 && longest) {
    const perToken = (r: { T: number; cold: EngineMeasurement }) => r.cold.warmWallMedianMs / r.T;
    const growth = perToken(longest) / perToken(g32);
    targets.push({
      name: `GPT-2 warm grows ≤ linearly, T=32→${longest.T}`,
      measured: `${fmtMs(longest.cold.warmWallMedianMs)} / ${fmtMs(g32.cold.warmWallMedianMs)} = ${(longest.cold.warmWallMedianMs / g32.cold.warmWallMedianMs).toFixed(2)}× for ${longest.T / 32}× tokens (per-token ratio ${growth.toFixed(2)})`,
      limit: 'per-token ratio ≤ 1.00',
      pass: growth <= 1,
    });
  }
  if (results.gpt2.length) {
    const worst = Math.max(...results.gpt2.map((r) => r.cold.compileMs));
    const worstCached = Math.max(...results.gpt2.map((r) => r.cached.compileMs));
    targets.push({ name: 'GPT-2 cold start ≤ 2 s (empty cache)', measured: `worst ${fmtMs(worst)}`, limit: '2 s', pass: worst <= 2000 });
    targets.push({ name: 'GPT-2 cold start ≤ 2 s (warm disk cache)', measured: `worst ${fmtMs(worstCached)}`, limit: '2 s', pass: worstCached <= 2000 });
  }
  if (results.stories.length) {
    const worst = Math.max(...results.stories.map((r) => r.cold.compileMs));
    const worstCached = Math.max(...results.stories.map((r) => r.cached.compileMs));
    targets.push({ name: 'stories260K cold start ≤ 200 ms (empty cache)', measured: `worst ${fmtMs(worst)}`, limit: '200 ms', pass: worst <= 200 });
    targets.push({ name: 'stories260K cold start ≤ 200 ms (warm disk cache)', measured: `worst ${fmtMs(worstCached)}`, limit: '200 ms', pass: worstCached <= 200 });
    const s16 = results.stories.find((r) => r.T === 16);
    if (s16) targets.push({ name: 'stories260K T=16 warm ≤ 20 ms', measured: fmtMs(s16.cold.warmWallMedianMs), limit: '20 ms', pass: s16.cold.warmWallMedianMs <= 20 });
  }
  for (const [label, list] of [['GPT-2', results.gpt2], ['stories260K', results.stories]] as const) {
    for (const r of list) {
      for (const m of [r.cold, r.cached]) {
        const limit = m.weightsBytes + 400 * MB;
        targets.push({
          name: `${label} T=${r.T} peak RSS ≤ weights + 400 MB${m.cached ? ' (cached start, no warm runs)' : ''}`,
          measured: `${fmtMB(m.peakRssBytes)} (weights + ${fmtMB(m.peakRssBytes - m.weightsBytes)})`,
          limit: fmtMB(limit),
          pass: m.peakRssBytes <= limit,
        });
      }
    }
  }
  if (targets.length) {
    out.push('');
    out.push('Targets (issues 4 and 10)');
    out.push(table(['target', 'measured', 'limit', 'result'], targets.map((t) => [t.name, t.measured, t.limit, t.pass === undefined ? '—' : t.pass ? 'PASS' : 'FAIL'])));
  }
  if (results.profile) {
    const p = results.profile.summary;
    out.push('');
    out.push(
      `onnxruntime profile of the engine's two sessions (gradient, lens), GPT-2-small T=${p.T}, ${p.runs} warm runs (analyze wall ${p.analyzeWallMs.map((ms) => fmtMs(ms)).join(', ')}): ${p.executedNodes} nodes executed; kernel time ${fmtMs(p.kernelMsPerRun)}/run of ${fmtMs(p.runWallMsPerRun)} model_run`,
    );
    out.push('Top 15 op types');
    out.push(profileTable(p.byOpType, 15, false, false));
    out.push('Top 15 nodes');
    out.push(profileTable(p.byNode, 15, true));
    out.push('Kernel time by role (heuristic on op type and shapes)');
    out.push(profileTable(p.byCategory, 20, false, false));
  }
  if (results.planner) {
    out.push('', "onnxruntime session creation against node count (its allocation planner; optimizations off): a chain whose every tensor is one column wider, so no freed buffer is reused, against the same chain at one width");
    out.push(table(['nodes', 'growing widths', 'one width'], results.planner.map((p) => [String(p.nodes), fmtMs(p.growingMs), fmtMs(p.sameWidthMs)])));
  }
  const load = os.loadavg();
  out.push('');
  out.push(`machine: ${machine.cpus} × ${machine.cpuModel}; load average at start ${(machine.loadAverage as number[]).map((l) => l.toFixed(2)).join(' ')}, at end ${load.map((l) => l.toFixed(2)).join(' ')} (shared machine: expect noise)`);
  process.stdout.write(`${out.join('\n')}\n`);

  const record = {
    schema: 'backward-lens-bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options, only: [...options.only] },
    machine: { ...machine, loadAverageAtEnd: load },
    model: results.model,
    gpt2: results.gpt2,
    roof: results.roof,
    stories: results.stories,
    llama: results.llama,
    bandwidthGBs: results.bandwidthGBs,
    profile: results.profile,
    torch: results.torch,
    planner: results.planner,
    targets,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, JSON.stringify(record, null, 2));
  say(`wrote ${path.relative(process.cwd(), options.out) || options.out}`);
  if (targets.some((t) => t.pass === false)) say(`${targets.filter((t) => t.pass === false).length} target(s) not met (see the table)`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
