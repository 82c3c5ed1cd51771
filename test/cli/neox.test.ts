/**
 * A GPT-NeoX (Pythia-shaped) model through the whole command line, tokenizer → graphs → session →
 * result: the grids, the neuron view and the gradient check of analyze, an edit, and the saved file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateResult } from '../../src/result/validate';
import { cliRunner } from '../support/cli';
import { makeTempDir, removeDir } from '../support/fixtures';
import { writeTinyNeox } from '../support/tinyModels';

const scratch = makeTempDir('cli-neox');
after(() => removeDir(scratch));
const run = cliRunner(scratch);
const model = writeTinyNeox(path.join(scratch, 'pythia-tiny'));
const PROMPT = ['--model', model.dir, '--prompt', 'the cat sat on the', '--target', ' mat'];

test('analyze --neurons --check on GPT-NeoX prints the grids, its MLP weights and a passing check, and saves a valid result', () => {
  const json = path.join(scratch, 'neox.blens.json');
  const result = run('analyze', ...PROMPT, '--neurons', '2', '--check', '--json', json);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Model\s+pythia-tiny · gpt-neox · 2 layers · d=16 · vocab 311\n/);
  assert.match(result.stdout, /^Prompt tokens\s+the ␣cat ␣sat ␣on ␣the$/m);
  assert.match(result.stdout, /FF1 inputs x_i \(imprint\)/);
  assert.match(result.stdout, /FF2 VJPs δ_i \(shift\)/);
  assert.match(result.stdout, /^1 FF1 #\d+ +dense_h_to_4h key /m);
  assert.match(result.stdout, /^ +dense_4h_to_h value /m);
  const worst = Number(/worst relative error (\S+)/.exec(result.stdout)?.[1]);
  assert.ok(worst < 1e-2, `gradient check's worst relative error ${worst}`);
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  validateResult(saved);
  assert.equal(saved.model.architecture, 'gpt-neox');
  assert.equal(saved.model.vocabSize, model.config.vocab_size);
  assert.deepEqual(saved.targetTokens.map((t: { text: string }) => t.text), [' mat']);
  assert.equal(saved.layers.length, 2);
  // Paper loss: in the last layer only the last position gets a gradient.
  assert.deepEqual(saved.layers[1].ff2.norms.map((norm: number) => norm > 0), [false, false, false, false, true]);
  assert.equal(saved.neurons.layers[0].ff1[0].keys[0].weight, 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight');
});

test('edit --method sgd on GPT-NeoX lowers the loss and reverts bit for bit', () => {
  const result = run('edit', ...PROMPT, '--method', 'sgd', '--layers', '0,1', '--eta', '0.5');
  assert.equal(result.status, 0, result.stderr);
  const [before, afterStep] = (/loss on the prompt: (\S+) → (\S+)/.exec(result.stdout) ?? []).slice(1).map(Number);
  assert.ok(afterStep < before, result.stdout);
  assert.match(result.stdout, /revert: leaving the update out gives back the original logits bit for bit/);
});
