import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NEIGHBOURS } from '../../src/result/savedEdits';
import { addNeighbour, DEFAULT_ETA_GRID, readEditChoice, readEta, readEtaGrid, readLayers, readSweepChoice, removeNeighbour } from '../../src/webview/editForm';

test('layers: distinct numbers the model has, separated by commas or spaces', () => {
  assert.deepEqual(readLayers('4', 5), { value: [4] });
  assert.deepEqual(readLayers(' 1, 3 ', 5), { value: [1, 3] });
  assert.deepEqual(readLayers('0 2', 5), { value: [0, 2] });
  for (const bad of ['', '5', '1,1', '-1', '1.5', 'a']) assert.match((readLayers(bad, 5) as { problem: string }).problem, /from 0 to 4/, bad);
});

test('η: one positive number; the grid: positive numbers, ascending, without repeats', () => {
  assert.deepEqual(readEta('0.3'), { value: 0.3 });
  assert.deepEqual(readEta('1e-2'), { value: 0.01 });
  for (const bad of ['', '0', '-1', '1,2', 'Infinity', '0x10']) assert.ok('problem' in readEta(bad), bad);
  assert.deepEqual(readEtaGrid('10, 0.1, 1, 1', 64), { value: [0.1, 1, 10] });
  assert.deepEqual(readEtaGrid(DEFAULT_ETA_GRID.join(', '), 64), { value: DEFAULT_ETA_GRID });
  assert.ok('problem' in readEtaGrid('1, 0', 64));
  assert.ok('problem' in readEtaGrid('1, 2, 3', 2));
  assert.ok('problem' in readEtaGrid('', 64));
});

test('neighbour prompts: added once each, not blank, at most MAX_NEIGHBOURS; removed by index', () => {
  const one = addNeighbour([], 'Once upon a time, there was a boy named');
  assert.deepEqual(one, { value: ['Once upon a time, there was a boy named'] });
  const list = (one as { value: string[] }).value;
  assert.match((addNeighbour(list, list[0]) as { problem: string }).problem, /already listed/);
  assert.match((addNeighbour(list, '  ') as { problem: string }).problem, /paraphrase/);
  const full = Array.from({ length: MAX_NEIGHBOURS }, (_, i) => `p${i}`);
  assert.match((addNeighbour(full, 'one more') as { problem: string }).problem, /At most 32/);
  assert.deepEqual(removeNeighbour(['a', 'b', 'c'], 1), ['a', 'c']);
});

test('the form reads into the choices the host is sent, or says what to fix first', () => {
  assert.deepEqual(readEditChoice({ method: 'sgd', layers: '0, 4', eta: '0.5', neighbours: ['x'] }, 5), { value: { method: 'sgd', layers: [0, 4], eta: 0.5, neighbours: ['x'] } });
  assert.match((readEditChoice({ method: 'sgd', layers: '9', eta: '0.5', neighbours: [] }, 5) as { problem: string }).problem, /^Layers/);
  assert.match((readEditChoice({ method: 'sgd', layers: '1', eta: 'big', neighbours: [] }, 5) as { problem: string }).problem, /^η/);
  assert.deepEqual(readSweepChoice('forward-shift', '1, 0.1', 64), { value: { method: 'forward-shift', etas: [0.1, 1] } });
});
