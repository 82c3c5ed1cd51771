/**
 * The on-demand correctness check in float32, as users run it: ⟨∇W, E⟩ from the factors against
 * the central difference of the loss through the edit graph, per layer, within 10⁻³.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openEngine } from '../../src/engine/open';
import { validateResult } from '../../src/result/validate';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';
import { writeTinyGpt2 } from '../support/tinyModels';

const root = makeTempDir('check');
after(() => removeDir(root));

const CASES = [
  ['stories260K', STORIES260K_DIR, 'Once upon a time, there was a little girl named', 'Tom'],
  ['stories260K', STORIES260K_DIR, 'The dog ran to the park and', 'played'],
  ['tiny GPT-2', path.join(root, 'gpt2'), 'the cat sat on the', 'Paris'],
] as const;

for (const [name, folder, prompt, target] of CASES) {
  test(`${name}, "${prompt}" → "${target}": ⟨∇W, E⟩ from the factors agrees with finite differences to 10⁻³`, async (t) => {
    if (name === 'tiny GPT-2') writeTinyGpt2(folder);
    const engine = await openEngine(folder, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
    try {
      const result = await engine.analyze({ prompt, target, lossMode: 'paper', topK: 3, check: true });
      validateResult(JSON.parse(JSON.stringify(result)));
      const checks = result.check!.layers.flatMap((l) => [l.ff1, l.ff2]);
      assert.equal(checks.length, 2 * result.model.layers);
      const worst = Math.max(...checks.map((c) => c.relativeError));
      t.diagnostic(`relative errors ${checks.map((c) => c.relativeError.toExponential(1)).join(' ')}; worst ${worst.toExponential(2)}`);
      for (const c of checks) {
        assert.ok(c.fromFactors !== 0 && c.epsilon > 0);
        assert.ok(Math.abs(c.fromFactors - c.finiteDifference) <= c.relativeError * Math.max(Math.abs(c.fromFactors), Math.abs(c.finiteDifference)) + 1e-15);
      }
      assert.ok(worst < 1e-3, `worst relative error ${worst}`);
    } finally {
      await engine.dispose();
    }
  });
}

test('the check sees a wrong gradient: a factor scaled by 1.01 fails it', async () => {
  const engine = await openEngine(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
  try {
    const result = await engine.analyze({ prompt: CASES[0][2], target: 'Tom', lossMode: 'paper', topK: 3, check: true });
    for (const c of result.check!.layers.flatMap((l) => [l.ff1, l.ff2])) {
      const wrong = Math.abs(1.01 * c.fromFactors - c.finiteDifference) / Math.abs(1.01 * c.fromFactors);
      assert.ok(wrong > 3e-3, `a 1 % error stays visible (${wrong})`);
    }
  } finally {
    await engine.dispose();
  }
});
