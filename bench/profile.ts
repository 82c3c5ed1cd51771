/**
 * Per-node profile of the engine's own sessions (the gradient graph and the lens graph) with
 * onnxruntime's profiler: the engine opens its sessions as usual while bench/ortHook.ts adds
 * `enableProfiling` to the options it passes, so graphs, feeds, fetches and thread settings are
 * exactly the engine's. The profilers' JSON is aggregated by op type, by node (with shapes) and
 * by role.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { openEngineFor } from '../src/engine/open';
import { loadModel } from '../src/model/load';
import { hookSessionCreate } from './ortHook';
import { promptOfLength } from './prompts';

interface ProfileEvent {
  /** Which engine session recorded it: 'gradient' or 'lens'. */
  session?: string;
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
  let next = 0;
  const unhook = hookSessionCreate(() => ({ enableProfiling: true, profileFilePrefix: path.join(workDir, `ort-profile-${next++}`) }), (c) => created.push(c));
  const model = await loadModel(modelPath);
  const engine = await openEngineFor(model, { executionProvider: 'cpu', cacheDir: path.join(workDir, 'cache') });
  const analyzeWallMs: number[] = [];
  try {
    const request = { prompt: promptOfLength(model.tokenizer, T), target, lossMode: 'paper' as const, topK: 5 };
    // The first analyze compiles and does the first run; the next `runs` are the profiled warm runs.
    for (let r = 0; r <= runs; r++) {
      const t0 = performance.now();
      const result = await engine.analyze(request);
      const ms = performance.now() - t0;
      if (result.tokens.length !== T) throw new Error(`profile prompt has ${result.tokens.length} tokens, wanted ${T}`);
      if (r > 0) analyzeWallMs.push(ms);
      log(`profile analyze ${r}: ${ms.toFixed(0)} ms (run ${result.timings.runMs.toFixed(0)} ms)`);
    }
    // The engine opens the gradient session first, then the lens session.
    if (created.length !== 2) throw new Error(`expected the engine to open two sessions (gradient, lens), it opened ${created.length}`);
    for (const c of created) c.session.endProfiling();
  } finally {
    await engine.dispose();
    unhook();
  }
  const events = created.flatMap((_, i) => {
    const prefix = `ort-profile-${i}`;
    const file = fs.readdirSync(workDir).find((name) => name.startsWith(`${prefix}_`) && name.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile ${prefix}* into ${workDir}`);
    const session = i === 0 ? 'gradient' : 'lens';
    return (JSON.parse(fs.readFileSync(path.join(workDir, file), 'utf8')) as ProfileEvent[]).map((e) => ({ ...e, session }));
  });
  const { externalData: _x, ...options } = created[0].options as Record<string, unknown>;
  void _x;
  const c = model.config;
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
  // Each analyze runs the gradient session once and the lens session once per row block, so in
  // each session the last runs/(runs + 1) of its model_run events are the warm ones.
  const warm = ['gradient', 'lens'].flatMap((session) => {
    const own = events.filter((e) => e.session === session);
    const modelRuns = own.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    if (modelRuns.length % (runs + 1) !== 0) throw new Error(`${session} profile holds ${modelRuns.length} runs, not a multiple of ${runs + 1}`);
    const firstWarm = modelRuns[modelRuns.length / (runs + 1)].ts;
    return own.filter((e) => e.ts >= firstWarm);
  });
  const kernels = warm.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const runWall = warm.filter((e) => e.cat === 'Session' && e.name === 'model_run').reduce((sum, e) => sum + e.dur, 0) / runs / 1000;
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
  const category = (e: ProfileEvent): string => {
    const op = e.args?.op_name ?? '?';
    const all = [...(e.args?.input_type_shape ?? []), ...(e.args?.output_type_shape ?? [])].map((s) => Object.values(s)[0] ?? []);
    const hasVocab = all.some((s) => s.includes(dims.vocab));
    if (e.session === 'lens') {
      // The lens session's only GEMMs are the projection, one per vocabulary chunk.
      if (/Gemm|MatMul/.test(op)) return 'lens: vocab projection GEMM [rows×d]·[d×chunk], all chunks';
      if (op === 'TopK') return 'lens: TopK (top-k + bottom-k) per chunk and merge';
      if (/LogSoftmax|ReduceMax|ReduceLogSumExp/.test(op)) return `lens: log Σ exp per chunk and merge (${op})`;
      if (/Greater|Less|Cast|GatherElements|Equal|ReduceSum/.test(op)) return `lens: target ranks and id casts per chunk (${op})`;
      return `lens: final norm, norms, merging, other (${op})`;
    }
    if (hasVocab) {
      if (/Gemm|MatMul/.test(op)) return 'LM head GEMMs (forward + backward) [rows×d]·[d×V]';
      return `LM head: softmax/loss/top-k over [rows×V] (${op})`;
    }
    if (/Gemm|MatMul/.test(op)) return 'transformer body GEMMs (forward, backward, Gram)';
    return 'transformer body: elementwise, norms, attention, other';
  };
  // Node names restart in each session (both have an n217_Gemm), so the session is part of the key.
  const byNode = group((e) => `${e.session}/${e.name.replace(/_kernel_time$/, '')}`, true);
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
