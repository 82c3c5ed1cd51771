/**
 * The optimized model saved beside a cached graph: one per set of session options that shapes
 * it, reused by the same options and never loaded by others.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { weightFileLocation } from '../../src/graph/backwardLensGraph';
import { Graph } from '../../src/graph/graph';
import { toOnnxBytes } from '../../src/graph/onnx';
import { createLiveSession } from '../../src/engine/session';
import { makeTempDir, removeDir, savedOptimizedModels } from '../support/fixtures';

const root = makeTempDir('session');
after(() => removeDir(root));

const WEIGHTS = Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2);

/** y = x·W + x·W with W from a weights file: common-subexpression elimination merges the two MatMuls. */
function twiceTheProduct(): Uint8Array {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 4]);
  const w = g.external('w', 'float32', [4, 4], { location: weightFileLocation(0), offset: 0, length: WEIGHTS.byteLength });
  const product = () => g.node('MatMul', [x, w], [{ dtype: 'float32', shape: [2, 4] }])[0];
  g.output(g.node('Add', [product(), product()], [{ dtype: 'float32', shape: [2, 4] }])[0], 'y');
  return toOnnxBytes(g, 'twice-the-product');
}

async function openAndCheck(cacheDir: string, weightFile: string, disabledOptimizers: string[]): Promise<void> {
  const live = await createLiveSession({
    graphFor: twiceTheProduct,
    weightFiles: [weightFile],
    executionProvider: 'cpu',
    cacheDir,
    prepackWeights: false,
    memoryArena: false,
    disabledOptimizers,
  });
  try {
    assert.equal(live.weightsVia, 'hard-link');
    const x = Float32Array.from({ length: 8 }, (_, i) => i - 3);
    const { y } = await live.session.run({ x: new ort.Tensor('float32', x, [2, 4]) });
    const expected = Array.from({ length: 8 }, (_, k) => {
      const [row, column] = [Math.floor(k / 4), k % 4];
      return 2 * [0, 1, 2, 3].reduce((sum, i) => sum + x[row * 4 + i] * WEIGHTS[i * 4 + column], 0);
    });
    assert.deepEqual(Array.from(y.data as Float32Array), expected);
  } finally {
    await live.session.release();
  }
}

test('sessions of one graph with other disabled optimizers save and load optimized models of their own; the same options reuse theirs', async () => {
  const cacheDir = path.join(root, 'cache');
  const weightFile = path.join(root, 'w.bin');
  fs.writeFileSync(weightFile, new Uint8Array(WEIGHTS.buffer));

  await openAndCheck(cacheDir, weightFile, []);
  const [merged] = savedOptimizedModels(cacheDir);
  assert.ok(merged, 'the first session saved its optimized model');

  await openAndCheck(cacheDir, weightFile, ['CommonSubexpressionElimination']);
  const saved = savedOptimizedModels(cacheDir);
  assert.equal(saved.length, 2, `one optimized model per set of disabled optimizers: ${saved.map((file) => path.basename(file)).join(', ')}`);
  const [first, second] = saved.map((file) => fs.readFileSync(file));
  assert.notDeepEqual(first, second, 'without CSE the optimized graph keeps both MatMuls');

  const written = fs.statSync(merged).mtimeMs;
  await openAndCheck(cacheDir, weightFile, []);
  assert.deepEqual(savedOptimizedModels(cacheDir), saved, 'the same options add no model');
  assert.equal(fs.statSync(merged).mtimeMs, written, 'the same options load the saved model instead of rewriting it');
});
