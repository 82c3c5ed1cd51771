import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continuationIds, InputError, planLoss } from '../../src/engine/lossPlan';
import { readLlama2cTokenizer } from '../../src/tokenizer/llama2c';
import { STORIES260K_TOKENIZER } from '../support/fixtures';

const tokenizer = readLlama2cTokenizer(STORIES260K_TOKENIZER);
const PROMPT = 'Once upon a time, there was a little girl named';

test('the target is read as a continuation, with or without its leading space', () => {
  const spaced = continuationIds(tokenizer, PROMPT, ' Tom');
  assert.deepEqual(continuationIds(tokenizer, PROMPT, 'Tom'), spaced);
  assert.equal(tokenizer.decode(spaced), ' Tom');
});

test('a prompt ending in whitespace gets no second space before the target', () => {
  const afterSpace = continuationIds(tokenizer, `${PROMPT} `, 'Tom');
  assert.equal(tokenizer.decode(afterSpace).trim(), 'Tom');
  assert.ok(!tokenizer.decode(afterSpace).startsWith('  '), JSON.stringify(tokenizer.decode(afterSpace)));
});

test('paper mode: one loss term, the first target token at the last prompt position', () => {
  const plan = planLoss(tokenizer, { prompt: PROMPT, target: 'Tom', lossMode: 'paper', maxTokens: 512 });
  const n = plan.inputIds.length;
  assert.equal(plan.inputIds[0], tokenizer.bosId);
  assert.deepEqual(plan.lossWeights, [...Array(n - 1).fill(0), 1]);
  assert.equal(plan.targetIds[n - 1], plan.lossTargetIds[0]);
  assert.equal(plan.lossTargetIds.length, 1);
  assert.equal(plan.predictPosition, n - 1);
  assert.ok(plan.rankIds.every((id) => id === plan.lossTargetIds[0]));
});

test('continuation mode: teacher forcing over every target token, mean weights', () => {
  const plan = planLoss(tokenizer, { prompt: PROMPT, target: 'Tom', lossMode: 'continuation', maxTokens: 512 });
  const promptLength = planLoss(tokenizer, { prompt: PROMPT, target: 'Tom', lossMode: 'paper', maxTokens: 512 }).inputIds.length;
  const m = plan.lossTargetIds.length;
  assert.equal(plan.inputIds.length, promptLength + m - 1);
  assert.deepEqual(plan.inputIds.slice(promptLength), plan.lossTargetIds.slice(0, -1));
  assert.deepEqual(plan.targetIds.slice(promptLength - 1), plan.lossTargetIds);
  assert.ok(Math.abs(plan.lossWeights.reduce((a, b) => a + b) - 1) < 1e-12);
  assert.equal(plan.predictPosition, promptLength - 1);
});

test('text mode: every next token of the selection, the last position unscored', () => {
  const plan = planLoss(tokenizer, { prompt: PROMPT, target: '', lossMode: 'text', maxTokens: 512 });
  const n = plan.inputIds.length;
  assert.deepEqual(plan.targetIds.slice(0, -1), plan.inputIds.slice(1));
  assert.equal(plan.lossWeights[n - 1], 0);
  assert.ok(Math.abs(plan.lossWeights.reduce((a, b) => a + b) - 1) < 1e-12);
});

test('bad inputs are InputErrors with a clear message', () => {
  assert.throws(() => planLoss(tokenizer, { prompt: ' ', target: 'x', lossMode: 'paper', maxTokens: 512 }), InputError);
  assert.throws(() => planLoss(tokenizer, { prompt: PROMPT, target: ' ', lossMode: 'paper', maxTokens: 512 }), /target is empty/);
  assert.throws(() => planLoss(tokenizer, { prompt: PROMPT, target: 'x', lossMode: 'paper', maxTokens: 5 }), /at most 5/);
});

test('a 100,000-character selection is refused before it is tokenized; a long one within the bound is counted', () => {
  const encode = tokenizer.encode.bind(tokenizer);
  let encoded = 0;
  const counting = Object.assign(Object.create(tokenizer), { encode: (text: string) => ((encoded += text.length), encode(text)) });
  const huge = 'Once upon a time, there was a little girl named Lily. '.repeat(1900);
  assert.throws(() => planLoss(counting, { prompt: huge, target: 'Tom', lossMode: 'paper', maxTokens: 512 }), /is 102600 characters, far more than the at most 512 tokens/);
  assert.equal(encoded, 0, 'nothing was tokenized');
  const long = huge.slice(0, 12_000);
  assert.ok(long.length <= 512 * tokenizer.longestPiece * 4);
  assert.throws(() => planLoss(tokenizer, { prompt: long, target: 'Tom', lossMode: 'paper', maxTokens: 512 }), (e: Error) => e instanceof InputError && /tokens but at most 512 are allowed/.test(e.message));
});
