import test from 'node:test';
import assert from 'node:assert/strict';
import { lengthProblem, tokenLimit } from '../../src/extension/lengthLimit';

test('the token limit is the smallest of the setting, the model’s context and what a result holds', () => {
  assert.deepEqual(tokenLimit(128, 512), { limit: 128, source: 'setting' });
  assert.deepEqual(tokenLimit(2000, 512), { limit: 512, source: 'context' });
  assert.deepEqual(tokenLimit(65_536, 131_072), { limit: 8192, source: 'result' });
});

test('a selection over the limit is refused once, naming the limit and what sets it', () => {
  assert.equal(lengthProblem(128, 128, 512), undefined);
  assert.equal(
    lengthProblem(176, 128, 512),
    "The selection is 176 tokens; at most 128 are allowed by the backwardLens.maxTokens setting. Select less text, or raise backwardLens.maxTokens (up to the model's context, 512).",
  );
  // The 1,026-token selection: the setting (128) binds, not the model's 512.
  assert.match(lengthProblem(1026, 128, 512) ?? '', /^The selection is 1,026 tokens; at most 128 are allowed by the backwardLens\.maxTokens setting/);
  assert.equal(lengthProblem(1026, 2000, 512), 'The selection is 1,026 tokens; the model reads at most 512 (its context; backwardLens.maxTokens is 2,000). Select less text.');
  assert.match(lengthProblem(9000, 65_536, 131_072) ?? '', /a result holds at most 8,192 \(backwardLens\.maxTokens is 65,536\)/);
});
