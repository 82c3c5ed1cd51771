/**
 * What onnxruntime's session creation costs against the number of nodes, where it is not linear:
 * its allocation planner keeps every freed buffer that no later tensor fits on a free list, and
 * scans that list (looking element types up by their type strings) for each tensor it allocates.
 * A chain whose every tensor has a new width shows it; the same chain at one width does not.
 * It is most of the gradient sessions' creation time (1B Llama: 2,652 nodes, ≈ 2.5 s).
 */
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/graph/graph';
import { toOnnxBytes } from '../src/graph/onnx';
import * as op from '../src/graph/ops';

export interface PlannerTiming {
  nodes: number;
  /** Each node's output one column wider than its input: no freed buffer is ever reused. */
  growingMs: number;
  /** Each node's output as wide as its input: the last freed buffer always fits. */
  sameWidthMs: number;
}

export const PLANNER_NODES = [500, 1000, 2000, 4000];

function chain(nodes: number, growing: boolean): Uint8Array {
  const g = new Graph();
  let x = g.input('x', 'float32', ['T', 1]);
  const column = g.input('column', 'float32', ['T', 1]);
  for (let i = 0; i < nodes; i++) x = growing ? op.concat(g, [x, column], 1) : op.add(g, x, column);
  g.output(x, 'y');
  return toOnnxBytes(g, growing ? 'growing-chain' : 'same-width-chain');
}

async function createMs(model: Uint8Array): Promise<number> {
  const started = performance.now();
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', enableCpuMemArena: false });
  const ms = performance.now() - started;
  await session.release();
  return ms;
}

export async function measurePlannerScaling(): Promise<PlannerTiming[]> {
  const timings: PlannerTiming[] = [];
  for (const nodes of PLANNER_NODES) timings.push({ nodes, growingMs: await createMs(chain(nodes, true)), sameWidthMs: await createMs(chain(nodes, false)) });
  return timings;
}
