/**
 * Per-node profile of the engine's own session with onnxruntime's profiler: the engine opens its
 * session as usual while bench/ortHook.ts adds `enableProfiling` to the options it passes, so the
 * graph, feeds, fetches and thread settings are exactly the engine's. The profiler's JSON is then
 * aggregated by op type, by node (with shapes) and by role.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { openEngine } from '../src/engine/open';
import { hookSessionCreate } from './ortHook';
import { promptOfLength } from './prompts';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

export interface ProfileRow {
  name: string;
  opType: string;
  totalMs: number;
  share: number;
  calls: number;
  shapes?: string;
}

export interface ProfileSummary {
  T: number;
  runs: number;
  /** Nodes onnxruntime executed per run (after its graph optimisations). */
  executedNodes: number;
  kernelMsPerRun: number;
  runWallMsPerRun: number;
  analyzeWallMs: number[];
  sessionOptions: Record<string, unknown>;
  byOpType: ProfileRow[];
  byNode: ProfileRow[];
  /** Kernel time grouped by what the node does (heuristics on op type and shapes). */
  byCategory: ProfileRow[];
}

export async function profileEngine(modelPath: string, T: number, target: string, runs: number, workDir: string, log: (line: string) => void): Promise<ProfileSummary> {
  fs.mkdirSync(workDir, { recursive: true });
  const created: { session: ort.InferenceSession; options: ort.InferenceSession.SessionOptions }[] = [];
  const unhook = hookSessionCreate({ enableProfiling: true, profileFilePrefix: path.join(workDir, 'ort-profile') }, (c) => created.push(c));
  const engine = await openEngine(modelPath, { executionProvider: 'cpu', cacheDir: path.join(workDir, 'cache') });
  const analyzeWallMs: number[] = [];
  try {
    const request = { prompt: promptOfLength(engine.model.tokenizer, T), target, lossMode: 'paper' as const, topK: 5 };
    // The first analyze compiles and does the first run; the next `runs` are the profiled warm runs.
    for (let r = 0; r <= runs; r++) {
      const t0 = performance.now();
      const result = await engine.analyze(request);
      const ms = performance.now() - t0;
      if (result.tokens.length !== T) throw new Error(`profile prompt has ${result.tokens.length} tokens, wanted ${T}`);
      if (r > 0) analyzeWallMs.push(ms);
      log(`profile analyze ${r}: ${ms.toFixed(0)} ms (run ${result.timings.runMs.toFixed(0)} ms)`);
    }
    if (created.length !== 1) throw new Error(`expected the engine to open one session, it opened ${created.length}`);
    created[0].session.endProfiling();
  } finally {
    await engine.dispose();
    unhook();
  }
  const file = fs.readdirSync(workDir).find((name) => name.startsWith('ort-profile') && name.endsWith('.json'));
  if (!file) throw new Error(`onnxruntime wrote no profile into ${workDir}`);
  const events = JSON.parse(fs.readFileSync(path.join(workDir, file), 'utf8')) as ProfileEvent[];
  const { externalData: _x, ...options } = created[0].options as Record<string, unknown>;
  void _x;
  const c = engine.model.config;
  return { ...summarize(events, T, runs, { vocab: c.vocabSize, hidden: c.hiddenSize, layers: c.layers }), analyzeWallMs, sessionOptions: options };
}

function shapeText(shapes: Record<string, number[]>[] | undefined): string {
  return (shapes ?? []).map((s) => Object.values(s)[0]?.join('×') ?? '?').join(', ');
}

function summarize(
  events: ProfileEvent[],
  T: number,
  runs: number,
  dims: { vocab: number; hidden: number; layers: number },
): Omit<ProfileSummary, 'analyzeWallMs' | 'sessionOptions'> {
  const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  if (modelRuns.length < runs + 1) throw new Error(`profile holds ${modelRuns.length} runs, expected ${runs + 1}`);
  const firstWarm = modelRuns[modelRuns.length - runs].ts;
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= firstWarm);
  const runWall = modelRuns.slice(-runs).reduce((sum, e) => sum + e.dur, 0) / runs / 1000;
  const total = kernels.reduce((sum, e) => sum + e.dur, 0) / runs / 1000;
  const group = (key: (e: ProfileEvent) => string, withShapes: boolean): ProfileRow[] => {
    const rows = new Map<string, ProfileRow>();
    for (const e of kernels) {
      const k = key(e);
      let row = rows.get(k);
      if (!row) {
        row = { name: k, opType: e.args?.op_name ?? '?', totalMs: 0, share: 0, calls: 0 };
        if (withShapes) row.shapes = `${shapeText(e.args?.input_type_shape)} → ${shapeText(e.args?.output_type_shape)}`;
        rows.set(k, row);
      }
      row.totalMs += e.dur / runs / 1000;
      row.calls += 1 / runs;
    }
    const list = [...rows.values()].sort((a, b) => b.totalMs - a.totalMs);
    for (const row of list) row.share = row.totalMs / total;
    return list;
  };
  const cells = 2 * dims.layers * T;
  const category = (e: ProfileEvent): string => {
    const op = e.args?.op_name ?? '?';
    const all = [...(e.args?.input_type_shape ?? []), ...(e.args?.output_type_shape ?? [])].map((s) => Object.values(s)[0] ?? []);
    const hasVocab = all.some((s) => s.includes(dims.vocab));
    const hasCells = all.some((s) => s[0] === cells);
    if (hasVocab && hasCells) {
      if (/Gemm|MatMul/.test(op)) return 'lens: vocab projection GEMM [cells×d]·[d×V]';
      if (op === 'TopK') return 'lens: TopK (top-k + bottom-k) over [cells×V]';
      if (/LogSumExp|Exp|ReduceSum|ReduceMax|Log|Sub/.test(op)) return `lens: log-sum-exp over [cells×V] (${op})`;
      if (/Greater|Less|Cast|GatherElements|Equal/.test(op)) return `lens: target ranks over [cells×V] (${op})`;
      return `lens: other [cells×V] (${op})`;
    }
    if (hasVocab) {
      if (/Gemm|MatMul/.test(op)) return 'LM head GEMMs (forward + backward) [rows×d]·[d×V]';
      return `LM head: softmax/loss/top-k over [rows×V] (${op})`;
    }
    // At T=32, cells (2·L·T = 768) equals d, so [cells×d] cannot be told from a d×d weight; tag only when distinct.
    if (hasCells && cells !== dims.hidden) return `lens: per-cell [cells×d] (${op})`;
    if (/Gemm|MatMul/.test(op)) return 'transformer body GEMMs (forward, backward, Gram)';
    return 'transformer body: elementwise, norms, attention, other';
  };
  const byNode = group((e) => e.name.replace(/_kernel_time$/, ''), true);
  return {
    T,
    runs,
    executedNodes: byNode.length,
    kernelMsPerRun: total,
    runWallMsPerRun: runWall,
    byOpType: group((e) => e.args?.op_name ?? '?', false),
    byNode,
    byCategory: group(category, false),
  };
}
