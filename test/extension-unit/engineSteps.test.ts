import test from 'node:test';
import assert from 'node:assert/strict';
import { describeStep } from '../../src/engine/describeStep';

test('engine steps read as the notification shows them', () => {
  assert.deepEqual(describeStep({ stage: 'compile' }), { message: 'compiling…' });
  assert.deepEqual(describeStep({ stage: 'gradient' }), { message: 'forward and backward pass…' });
  assert.deepEqual(describeStep({ stage: 'lens' }), { message: 'lens…' });
});

test('the lens names the block under way and moves the bar by the blocks done', () => {
  assert.deepEqual(describeStep({ stage: 'lens', done: 0, total: 4 }), { message: 'lens block 1 of 4', percent: 0 });
  assert.deepEqual(describeStep({ stage: 'lens', done: 1, total: 4 }), { message: 'lens block 2 of 4', percent: 25 });
  assert.deepEqual(describeStep({ stage: 'lens', done: 4, total: 4 }), { message: 'lens block 4 of 4', percent: 100 });
  assert.deepEqual(describeStep({ stage: 'lens', done: 2, total: 0 }), { message: 'lens…' });
});
