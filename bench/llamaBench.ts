/**
 * The bench's 1B part (issue 10): the Llama-shaped 1.07B model in float32 and in bfloat16, its
 * cold, first and warm analyses and peak RSS, against the floor of the work: the grid's projection
 * and the forward and backward GEMMs at the GEMM rate the roof measured in the same run, plus the
 * weights read twice (forward, backward) at the memory bandwidth measured here.
 */
import * as path from 'node:path';
import type { GeneratedDType } from './generatedModel';
import { ensureLlamaModel, LLAMA_1B } from './llamaModel';
import { median } from './stats';

export const LLAMA_TOKENS = 22;
export const LLAMA_DTYPES: GeneratedDType[] = ['float32', 'bfloat16'];

export const llamaDir = (cacheDir: string, dtype: GeneratedDType) => path.join(cacheDir, `llama-1b-${dtype}`);

export function ensureLlamaModels(cacheDir: string, log: (line: string) => void): void {
  for (const dtype of LLAMA_DTYPES) ensureLlamaModel(llamaDir(cacheDir, dtype), LLAMA_1B, dtype, log);
}

/** Read + write bandwidth of a large buffer copy, GB/s (median of 5). */
export function memoryBandwidthGBs(): number {
  const size = 1 << 29;
  const from = Buffer.alloc(size, 1);
  const to = Buffer.alloc(size);
  const rates = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    from.copy(to);
    return (2 * size) / ((performance.now() - t0) / 1000) / 1e9;
  });
  return median(rates);
}

export interface Floor {
  projectionGflop: number;
  passesGflop: number;
  weightBytes: number;
  ms: number;
}

/** The work's floor at T tokens: the projection's and the passes' FLOPs at `gflops`, the float32 weights read twice at `bandwidthGBs`. */
export function llamaFloor(T: number, gflops: number, bandwidthGBs: number): Floor {
  const s = LLAMA_1B;
  const kv = (s.kvHeads * s.hidden) / s.heads;
  const blockParams = s.layers * (2 * s.hidden * s.hidden + 2 * kv * s.hidden + 3 * s.hidden * s.intermediate);
  const projectionGflop = (2 * (2 * s.layers * T) * s.hidden * s.vocab) / 1e9;
  // Forward, and backward to the inputs: 2 FLOPs a weight a token each.
  const passesGflop = (4 * blockParams * T) / 1e9;
  const weightBytes = 4 * (blockParams + s.vocab * s.hidden);
  const ms = ((projectionGflop + passesGflop) / gflops + (2 * weightBytes) / 1e9 / bandwidthGBs) * 1000;
  return { projectionGflop, passesGflop, weightBytes, ms };
}
