/** `backward-lens edit` and `analyze --neurons/--check` as a user meets them: tables, JSON files, one clear error line per bad input. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateResult } from '../../src/result/validate';
import { assertCleanError, cliRunner } from '../support/cli';
import { makeTempDir, removeDir } from '../support/fixtures';

const scratch = makeTempDir('cli-experiments');
after(() => removeDir(scratch));
const run = cliRunner(scratch);

const PROMPT = 'Once upon a time, there was a little girl named';
const NEIGHBOUR = 'The dog ran to the park and';
const EDIT = ['edit', '--prompt', PROMPT, '--target', 'Tom'];

test('edit prints the before/after table and writes the read-outs as JSON', () => {
  const json = path.join(scratch, 'edit.json');
  const result = run(...EDIT, '--method', 'forward-shift', '--layer', '3', '--eta', '1', '--neighbour', NEIGHBOUR, '--json', json);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /forward-pass shift .* at layer 3, η = 1 \(in memory/);
  assert.match(result.stdout, /before .*"␣Lily" 92\.6%/);
  assert.match(result.stdout, /after .*\b0 +"␣T" 99\.9%/);
  assert.match(result.stdout, /direct change of the target logit through layer 3's FF2: 51\.05\d+ \(η‖h_n‖²‖e_t‖² = 51\.05\d+\)/);
  assert.match(result.stdout, /revert: leaving the update out gives back the original logits bit for bit/);
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(saved.method, 'forward-shift');
  assert.deepEqual(saved.layers, [3]);
  assert.equal(saved.eta, 1);
  assert.deepEqual(saved.targetIds, [274]);
  assert.deepEqual(saved.prompts.map((p: { prompt: string }) => p.prompt), [PROMPT, NEIGHBOUR]);
  for (const p of saved.prompts) {
    for (const readout of [p.before, p.after]) {
      assert.deepEqual(Object.keys(readout).sort(), ['targetProb', 'targetRank', 'top']);
      assert.deepEqual(Object.keys(readout.top[0]).sort(), ['id', 'prob', 'text']);
    }
  }
  assert.equal(saved.prompts[0].after.targetRank, 0);
});

test('edit --method sgd over two layers, and --sweep prints each layer\'s smallest η', () => {
  const sgd = run(...EDIT, '--method', 'sgd', '--layers', '1,3', '--eta', '0.03');
  assert.equal(sgd.status, 0, sgd.stderr);
  assert.match(sgd.stdout, /one SGD step W ← W − η∇W on the MLP weights at layers 1, 3, η = 0\.03/);
  assert.match(sgd.stdout, /loss on the prompt: 6\.73 → /);
  const sweep = run(...EDIT, '--method', 'forward-shift', '--sweep', '--eta', '3,0.1,0.3,1');
  assert.equal(sweep.status, 0, sweep.stderr);
  assert.match(sweep.stdout, /η from 0\.1, 0\.3, 1, 3/);
  assert.match(sweep.stdout, /^3 +0\.3 +0\.95/m);
  assert.equal(sweep.stdout.match(/^\d +(0\.1|0\.3|1|3|none up to 3) /gm)?.length, 5, 'one row per layer');
});

test('analyze --neurons --check prints both parts and saves a backward-lens/2 result', () => {
  const json = path.join(scratch, 'experiments.blens.json');
  const result = run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--neurons', '2', '--eta', '0.5', '--check', '--json', json);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Neurons with the largest gradient rows, 2 per layer .*\(η = 0\.5\)/);
  assert.match(result.stdout, /^4 FF1 #\d+ +gate_proj key/m);
  assert.match(result.stdout, /^ +down_proj value/m);
  assert.match(result.stdout, /Gradient check: ⟨∇W, E⟩ from the factors/);
  const worst = Number(result.stdout.match(/worst relative error (\S+)/)![1]);
  assert.ok(worst < 1e-3, `worst relative error ${worst}`);
  const saved = validateResult(JSON.parse(fs.readFileSync(json, 'utf8')));
  assert.equal(saved.schema, 'backward-lens/2');
  assert.equal(saved.neurons!.eta, 0.5);
  assert.equal(saved.neurons!.layers[0].ff1.length, 2);
  assert.equal(saved.neurons!.layers[0].ff1[0].keys.length, 2, 'Llama: gate and up');
  assert.equal(saved.check!.layers.length, 5);
});

test('bad edit input is one clear error', () => {
  assertCleanError(run('edit', '--prompt', PROMPT, '--method', 'sgd', '--layer', '1', '--eta', '1'), /--target is required/);
  assertCleanError(run(...EDIT, '--method', 'rome', '--layer', '1', '--eta', '1'), /--method must be forward-shift or sgd, not "rome"/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--eta', '1'), /--layer L or --layers A,B,… is required/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--layers', '2', '--eta', '1'), /give --layer or --layers, not both/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layers', '1,x', '--eta', '1'), /--layers must be layer numbers separated by commas, not "1,x"/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '9', '--eta', '1'), /layers must be distinct whole numbers from 0 to 4 \(the model has 5\), not \[9\]/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta=-1'), /--eta must be one positive number/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta', '-1'), /Option '--eta' argument is ambiguous/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta', '0.1,1'), /a grid goes with --sweep/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--sweep', '--eta', '0.1,,1'), /--eta must be positive numbers separated by commas/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--sweep', '--eta', '1', '--neighbour', NEIGHBOUR), /--neighbour goes with an edit, not with --sweep/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta', '1', '--loss', 'text'), /--loss must be paper or continuation, not "text"/);
  assertCleanError(run(...EDIT, 'now', '--method', 'sgd', '--layer', '1', '--eta', '1'), /edit takes no words besides its options, not "now"/);
  assertCleanError(run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta', '1', '--frobnicate'), /Unknown option '--frobnicate'/);
  assertCleanError(run('edit', '--prompt', '  ', '--target', 'Tom', '--method', 'sgd', '--layer', '1', '--eta', '1'), /prompt is empty/);
  const existing = path.join(scratch, 'taken.json');
  fs.writeFileSync(existing, 'mine');
  const refused = run(...EDIT, '--method', 'sgd', '--layer', '1', '--eta', '1', '--json', existing);
  assertCleanError(refused, /taken\.json exists; pass --force/);
  assert.equal(refused.stdout, '');
  assert.equal(fs.readFileSync(existing, 'utf8'), 'mine');
});

test('bad --neurons, --eta and --check input to analyze is one clear error with the usage', () => {
  const analyze = ['analyze', '--prompt', PROMPT, '--target', 'Tom'];
  for (const [args, pattern] of [
    [['--neurons', '0'], /--neurons must be a whole number from 1, not "0"/],
    [['--neurons', 'many'], /--neurons must be a whole number from 1, not "many"/],
    [['--eta', '1'], /--eta goes with --neurons/],
    [['--neurons', '2', '--eta', 'big'], /--eta must be a positive number, not "big"/],
    [['--neurons', '500'], /neurons must be a whole number from 0 to 172, not 500/],
    [['--check=yes'], /--check/],
  ] as const) {
    const result = run(...analyze, ...args);
    assertCleanError(result, pattern);
  }
  assert.match(run(...analyze, '--neurons', '0').stderr, /\[--neurons N \[--eta 1\]\] \[--check\]/);
});
