/** float16 / bfloat16 weights are cast in the graph, and sharded checkpoints map to several external files. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openEngine } from '../../src/engine/open';
import type { AnalysisRequest } from '../../src/engine/api';
import { makeTempDir, removeDir } from '../support/fixtures';
import { TinyLlamaOptions, writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

const root = makeTempDir('formats');
after(() => removeDir(root));

const REQUEST: AnalysisRequest = { prompt: 'the cat sat on the', target: 'mat', lossMode: 'continuation', topK: 3 };

async function lossOf(folder: string): Promise<number> {
  const engine = await openEngine(folder, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
  try {
    const result = await engine.analyze(REQUEST);
    assert.ok(result.layers.every((l) => l.ff2.norms.every(Number.isFinite)));
    return result.loss;
  } finally {
    await engine.dispose();
  }
}

for (const [name, options] of [
  ['bfloat16', { kind: 'llama', dtype: 'bfloat16' }],
  ['float16, sharded', { kind: 'llama', dtype: 'float16', sharded: true }],
  ['float16, tied Qwen2', { kind: 'qwen2', dtype: 'float16', tied: true }],
] as [string, TinyLlamaOptions][]) {
  test(`Llama family with ${name} weights gives the float32 loss up to weight rounding`, async () => {
    const reduced = path.join(root, name);
    const full = path.join(root, `${name}-f32`);
    writeTinyLlama(reduced, options);
    writeTinyLlama(full, { ...options, dtype: 'float32', sharded: false });
    const [low, high] = [await lossOf(reduced), await lossOf(full)];
    assert.ok(Math.abs(low - high) < 0.02 * high, `loss ${low} vs ${high}`);
  });
}

test('GPT-2 with sharded float16 weights runs and matches float32', async () => {
  const reduced = path.join(root, 'gpt2-f16');
  const full = path.join(root, 'gpt2-f32');
  writeTinyGpt2(reduced, { dtype: 'float16', sharded: true, prefixed: true });
  writeTinyGpt2(full);
  const [low, high] = [await lossOf(reduced), await lossOf(full)];
  assert.ok(Math.abs(low - high) < 0.02 * high, `loss ${low} vs ${high}`);
});
