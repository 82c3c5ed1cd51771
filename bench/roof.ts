/**
 * The roof: the bare vocabulary-projection GEMM of the lens, [24·T × d] × [d × V] in float32,
 * through onnxruntime-node on the same provider and thread settings as the engine. The weight is
 * an initializer of the graph and the activations are fed. Three variants:
 * - `matmul+reducemax` (headline): MatMul followed in-graph by ReduceMax over V, so only [24·T]
 *   floats come back: the GEMM's compute, without the output transfer;
 * - `matmul-full`: the MatMul with its whole [24·T × V] result returned to JavaScript;
 * - `gemm-transB+reducemax`: the weight kept [V × d] and read transposed (Gemm transB=1), as the
 *   engine reads the tied embedding — the same GEMM in the engine's memory layout.
 */
import * as os from 'node:os';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { median } from './stats';

export type RoofVariant = 'matmul+reducemax' | 'matmul-full' | 'gemm-transB+reducemax';
export const ROOF_VARIANTS: RoofVariant[] = ['matmul+reducemax', 'matmul-full', 'gemm-transB+reducemax'];

/** A copy of src/engine/session.ts's CPU options, used only when the engine's cannot be captured. */
export function fallbackSessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { disable_prepacking: '0', 'intra_op.allow_spinning': '0' } },
  };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function roofGraph(variant: RoofVariant, d: number, vocab: number, weight: Float32Array): Uint8Array {
  const transposed = variant === 'gemm-transB+reducemax';
  const dims = transposed ? [vocab, d] : [d, vocab];
  const bytes = new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength);
  const nodes: onnx.INodeProto[] = [
    transposed
      ? { name: 'projection', opType: 'Gemm', input: ['x', 'W'], output: ['logits'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }
      : { name: 'projection', opType: 'MatMul', input: ['x', 'W'], output: ['logits'] },
  ];
  const full = variant === 'matmul-full';
  if (!full) {
    nodes.push({
      name: 'reduce',
      opType: 'ReduceMax',
      input: ['logits'],
      output: ['max'],
      attribute: [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ],
    });
  }
  const value = (name: string, shape: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((s) => (typeof s === 'number' ? { dimValue: s } : { dimParam: s })) } } },
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'backward-lens-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: `roof-${variant}`,
      input: [value('x', ['N', d])],
      output: [full ? value('logits', ['N', vocab]) : value('max', ['N'])],
      initializer: [{ name: 'W', dataType: FLOAT, dims, rawData: bytes }],
      node: nodes,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export interface RoofTiming {
  variant: RoofVariant;
  rows: number;
  T: number;
  sessionMs: number;
  runsMs: number[];
  medianMs: number;
  gflops: number;
  /** Median of (process CPU time / wall time) over the runs: ≈ threads when nothing else competes for the cores. */
  cpuPerWall: number;
}

/** Times each variant for each T (rows = 24·T), one warm-up run then `runs` timed runs. */
export async function measureRoof(
  Ts: number[],
  options: { d: number; vocab: number; cellsPerToken: number; runs: number; variants: RoofVariant[]; sessionOptions: ort.InferenceSession.SessionOptions; log: (line: string) => void },
): Promise<RoofTiming[]> {
  const { d, vocab, runs } = options;
  const weight = new Float32Array(d * vocab);
  let state = 12345;
  for (let i = 0; i < weight.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    weight[i] = (state / 4294967296 - 0.5) * 0.04;
  }
  // All variants stay open and take turns run by run, so drifting load on a shared machine hits them alike.
  const sessions = new Map<RoofVariant, { session: ort.InferenceSession; sessionMs: number }>();
  for (const variant of options.variants) {
    const started = performance.now();
    const session = await ort.InferenceSession.create(roofGraph(variant, d, vocab, weight), options.sessionOptions);
    sessions.set(variant, { session, sessionMs: performance.now() - started });
  }
  const results: RoofTiming[] = [];
  for (const T of Ts) {
    const rows = options.cellsPerToken * T;
    const x = new Float32Array(rows * d);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
    const feeds = { x: new ort.Tensor('float32', x, [rows, d]) };
    const times = new Map<RoofVariant, number[]>(options.variants.map((v) => [v, []]));
    const cpu = new Map<RoofVariant, number[]>(options.variants.map((v) => [v, []]));
    for (let r = 0; r <= runs; r++) {
      for (const variant of options.variants) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const out = await sessions.get(variant)!.session.run(feeds);
        const ms = performance.now() - t0;
        const used = process.cpuUsage(cpu0);
        // Touch the result so a returned matrix is really in JavaScript's hands.
        const data = Object.values(out)[0].data as Float32Array;
        if (Number.isNaN(data[data.length - 1])) throw new Error('NaN in roof output');
        if (r > 0) {
          times.get(variant)!.push(ms);
          cpu.get(variant)!.push((used.user + used.system) / 1000 / ms);
        }
      }
    }
    for (const variant of options.variants) {
      const medianMs = median(times.get(variant)!);
      const gflops = (2 * rows * d * vocab) / (medianMs * 1e6);
      const cpuPerWall = median(cpu.get(variant)!);
      options.log(`roof ${variant} T=${T} (${rows}×${d}×${vocab}): ${medianMs.toFixed(1)} ms median, ${gflops.toFixed(0)} GFLOP/s, ${cpuPerWall.toFixed(2)} cores busy`);
      results.push({ variant, rows, T, sessionMs: sessions.get(variant)!.sessionMs, runsMs: times.get(variant)!, medianMs, gflops, cpuPerWall });
    }
  }
  for (const { session } of sessions.values()) await session.release();
  return results;
}
