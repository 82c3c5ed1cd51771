/** GPT-2's real byte-level BPE through the whole engine: the paper's " Paris" example, tokenized as GPT-2 does. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openEngine } from '../../src/engine/open';
import { validateResult } from '../../src/result/validate';
import { makeTempDir, removeDir } from '../support/fixtures';
import { writeTinyGpt2 } from '../support/tinyModels';

const root = makeTempDir('gpt2-real-tokenizer');
after(() => removeDir(root));

test('"Obama grew up in" → " Paris": no BOS, target id 6342 with or without its leading space', async () => {
  const folder = path.join(root, 'model');
  writeTinyGpt2(folder, { realTokenizer: true });
  const engine = await openEngine(folder, { executionProvider: 'cpu', cacheDir: path.join(root, 'cache') });
  try {
    const result = await engine.analyze({ prompt: 'Obama grew up in', target: 'Paris', lossMode: 'paper', topK: 5 });
    validateResult(result);
    assert.deepEqual(result.tokens.map((t) => t.text), ['Obama', ' grew', ' up', ' in']);
    assert.deepEqual(result.targetTokens, [{ id: 6342, text: ' Paris' }]);
    assert.equal(result.model.vocabSize, 50257);
    const spaced = await engine.analyze({ prompt: 'Obama grew up in', target: ' Paris', lossMode: 'paper', topK: 5 });
    assert.deepEqual(spaced.targetIds, [6342]);
    assert.equal(spaced.loss, result.loss);
    const last = result.layers[result.layers.length - 1].ff2;
    assert.ok(last.norms.slice(0, -1).every((norm) => norm === 0), 'only the loss position has a last-layer δ');
    // GPT-2's final LayerNorm has a bias, so bottom-k of LL(δ) and top-k of LL(−δ) differ: both are reported.
    assert.equal(last.bottom[3].length, 5);
    assert.equal(last.top[3].length, 5);
  } finally {
    await engine.dispose();
  }
});
