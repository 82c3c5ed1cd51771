/**
 * float16 matmuls (`matmuls: 'float16'`) against the float32 engine on the real stories260K and on
 * a tiny GPT-2: the same loss, x_i and δ_i to half-precision rounding, and the same zero pattern.
 * On the CPU onnxruntime widens a float16 Gemm's operands to float32 (it has no float16 Gemm
 * kernel), so this checks the graph's rounding and row scaling, not a GPU's accumulation.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openEngine } from '../../src/engine/open';
import type { AnalysisRequest } from '../../src/engine/api';
import type { BackwardLensResult } from '../../src/result/schema';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';
import { writeTinyGpt2 } from '../support/tinyModels';

const root = makeTempDir('half-matmuls');
after(() => removeDir(root));

/** ‖a − b‖ / ‖b‖ over every position's vector of one grid. */
function relativeError(a: number[][], b: number[][]): number {
  let difference = 0;
  let norm = 0;
  a.forEach((row, i) => row.forEach((v, j) => {
    difference += (v - b[i][j]) ** 2;
    norm += b[i][j] ** 2;
  }));
  return Math.sqrt(difference / norm);
}

async function compare(modelPath: string, request: Omit<AnalysisRequest, 'vectors' | 'matmuls'>): Promise<{ single: BackwardLensResult; half: BackwardLensResult }> {
  const engine = await openEngine(modelPath, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
  try {
    const single = await engine.analyze({ ...request, vectors: true });
    const half = await engine.analyze({ ...request, vectors: true, matmuls: 'float16' });
    return { single, half };
  } finally {
    await engine.dispose();
  }
}

function assertHalfAgrees({ single, half }: { single: BackwardLensResult; half: BackwardLensResult }, tolerance: number): void {
  assert.equal(half.matmuls, 'float16');
  assert.equal(single.matmuls, 'float32');
  assert.ok(Math.abs(half.loss - single.loss) <= tolerance * Math.abs(single.loss), `loss ${half.loss} vs ${single.loss}`);
  let largest = 0;
  half.layers.forEach((layer, l) => {
    for (const grid of ['ff1', 'ff2'] as const) {
      const error = relativeError(layer[grid].vectors!, single.layers[l][grid].vectors!);
      largest = Math.max(largest, error);
      assert.ok(error < tolerance, `layer ${l} ${grid}: relative error ${error}`);
      single.layers[l][grid].vectors!.forEach((v, i) => {
        const zero = v.every((x) => x === 0);
        assert.equal(half.layers[l][grid].vectors![i].every((x) => x === 0), zero, `layer ${l} ${grid} position ${i}: zero in one precision only`);
      });
    }
  });
  // Half-precision rounding happened: the vectors are close, not equal.
  assert.ok(largest > 1e-5, `largest relative error ${largest}: the float16 path did not round`);
}

test('float16 matmuls on stories260K: loss, x_i and δ_i within half-precision rounding of float32', async () => {
  const pair = await compare(STORIES260K_DIR, { prompt: 'Once upon a time, there was a little girl named', target: 'Tom', lossMode: 'continuation', topK: 5 });
  assertHalfAgrees(pair, 5e-3);
  const last = pair.half.layers.at(-1)!;
  assert.deepEqual(last.ff2.top.map((t) => t[0].id), pair.single.layers.at(-1)!.ff2.top.map((t) => t[0].id));
});

test('float16 matmuls on a tiny GPT-2: loss, x_i and δ_i within half-precision rounding of float32', async () => {
  const folder = path.join(root, 'gpt2');
  writeTinyGpt2(folder);
  assertHalfAgrees(await compare(folder, { prompt: 'The cat sat on the mat', target: ' and', lossMode: 'paper', topK: 3 }), 5e-3);
});
