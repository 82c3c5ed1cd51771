/**
 * The panel's expected gradient rank (result/view's expectedGradientRank) against real results:
 * stories260K in all three loss modes, and the token count the extension checks before it asks
 * for a target.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackwardLensEngine } from '../../src/engine/engine';
import { loadModel } from '../../src/model/load';
import type { LossMode } from '../../src/result/schema';
import { expectedGradientRank, gradientRankSummary, lossPositions } from '../../src/result/view';
import { engineWith } from '../support/engines';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';

const cacheDir = makeTempDir('rank-expectation');
let engine: BackwardLensEngine;
before(async () => {
  ({ engine } = engineWith(await loadModel(STORIES260K_DIR), { executionProvider: 'cpu', cacheDir }));
});
after(async () => {
  await engine.dispose();
  removeDir(cacheDir);
});

const PROMPTS = ['Once upon a time, there was a little girl named', 'Lily and her mom went to the park. Lily saw a big red ball and she wanted to'];

test('the expected gradient rank holds on stories260K in every loss mode: never exceeded, met in the last layer', async () => {
  for (const prompt of PROMPTS) {
    for (const lossMode of ['paper', 'continuation', 'text'] as LossMode[]) {
      const result = await engine.analyze({ prompt, target: 'play with', lossMode, topK: 1 });
      const n = result.tokens.length;
      const positions = lossPositions(result);
      const last = result.layers[result.layers.length - 1];
      const where = `${lossMode} “${prompt.slice(0, 20)}…”`;
      // Text mode: every position but the last carries loss, so n − 1 everywhere.
      if (lossMode === 'text') assert.deepEqual([positions.length, positions[positions.length - 1]], [n - 1, n - 2], where);
      assert.equal(expectedGradientRank(result, last.layer), positions.length, where);
      assert.equal(last.gradRank.ff1, positions.length, `${where}: the last layer's rank is the number of loss positions`);
      for (const layer of result.layers) {
        const expected = expectedGradientRank(result, layer.layer);
        assert.ok(layer.gradRank.ff1 <= expected && layer.gradRank.ff2 <= expected, `${where} layer ${layer.layer}: ${JSON.stringify(layer.gradRank)} > ${expected}`);
        // δ is zero after the last loss position in every layer, and off the loss positions in the last.
        layer.ff2.norms.forEach((norm, i) => {
          if (i > positions[positions.length - 1] || (layer === last && !positions.includes(i))) assert.equal(norm, 0, `${where} layer ${layer.layer} position ${i}`);
        });
      }
      assert.equal(gradientRankSummary(result).suspicious, false, `${where}: ${gradientRankSummary(result).text}`);
    }
  }
});

test('countTokens gives the input positions an analysis will have, BOS included; the context is the model’s', async () => {
  const prompt = PROMPTS[1];
  const result = await engine.analyze({ prompt, target: '', lossMode: 'text', topK: 1 });
  assert.equal(await engine.countTokens(prompt), result.tokens.length);
  assert.equal(await engine.countTokens(prompt), 26);
  assert.equal(engine.contextLength, 512);
});
