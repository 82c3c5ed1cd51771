/** The command line as a user meets it: one clear error line and a non-zero exit for every bad input. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESULT_SCHEMA } from '../../src/result/schema';
import { validateResult } from '../../src/result/validate';
import { assertCleanError, cliRunner } from '../support/cli';
import { makeTempDir, removeDir, STORIES260K_CHECKPOINT, STORIES260K_TOKENIZER } from '../support/fixtures';

const scratch = makeTempDir('cli');
after(() => removeDir(scratch));
const run = cliRunner(scratch);

const PROMPT = 'Once upon a time, there was a little girl named';

test('analyze prints the two grids and writes a versioned result file', () => {
  const json = path.join(scratch, 'out', 'result.blens.json');
  fs.mkdirSync(path.dirname(json));
  const result = run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--loss', 'continuation', '--json', json, '--vectors');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /FF1 inputs x_i/);
  assert.match(result.stdout, /FF2 VJPs δ_i/);
  const saved = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(saved.schema, RESULT_SCHEMA);
  validateResult(saved);
  assert.deepEqual(saved.targetTokens.map((t: { text: string }) => t.text).join(''), ' Tom');
  assert.equal(saved.lossMode, 'continuation');
  assert.equal(saved.layers.length, 5);
  assert.equal(saved.layers[0].ff2.vectors.length, saved.tokens.length);
  assert.equal(saved.layers[0].ff2.vectors[0].length, 64);
  assert.match(saved.model.sha256, /^b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696$/);
});

test('a missing model path is one clear error', () => {
  assertCleanError(run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--model', path.join(scratch, 'nowhere')), /nowhere/);
});

test('a corrupt (truncated) checkpoint is one clear error', () => {
  const folder = path.join(scratch, 'truncated');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'stories260K.bin'), fs.readFileSync(STORIES260K_CHECKPOINT).subarray(0, 100_000));
  fs.copyFileSync(STORIES260K_TOKENIZER, path.join(folder, 'tok512.bin'));
  assertCleanError(run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--model', folder), /truncated/);
});

test('an unknown architecture is one clear error naming the supported ones', () => {
  const folder = path.join(scratch, 'bert');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' }));
  assertCleanError(run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--model', folder), /BertForMaskedLM.*GPT2LMHeadModel|GPT2LMHeadModel.*BertForMaskedLM/);
});

test('an empty prompt is one clear error', () => {
  assertCleanError(run('analyze', '--prompt', '  ', '--target', 'Tom'), /prompt is empty/);
});

test('a target that tokenizes to nothing is one clear error', () => {
  assertCleanError(run('analyze', '--prompt', PROMPT, '--target', '   '), /target is empty/);
});

test('a prompt longer than the context is one clear error', () => {
  assertCleanError(run('analyze', '--prompt', 'a b '.repeat(400), '--target', 'Tom'), /at most 512/);
});

test('bad options are one clear error with the usage', () => {
  assertCleanError(run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--loss', 'mse'), /--loss must be/);
  assertCleanError(run('analyse', '--prompt', PROMPT), /unknown command/);
  assertCleanError(run('analyze', '--prompt', PROMPT, '--top-k', '0', '--target', 'x'), /--top-k/);
  assertCleanError(run('analyze', '--prompt', PROMPT, '--projection', 'float8', '--target', 'x'), /--projection must be float32 or float16/);
  assertCleanError(run('analyze', '--prompt', PROMPT, '--matmuls', 'bfloat16', '--target', 'x'), /--matmuls must be float32 or float16/);
});

test('--provider cuda either runs on CUDA or says clearly why it cannot', () => {
  const result = run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--provider', 'cuda');
  if (result.status === 0) assert.match(result.stdout, / on CUDA/);
  else assertCleanError(result, /CUDA was requested but .*--provider cpu/);
});

test('--json never replaces what is there without --force, and is checked before the analysis', () => {
  const dir = path.join(scratch, 'json-targets');
  fs.mkdirSync(dir);
  const existing = path.join(dir, 'kept.blens.json');
  fs.writeFileSync(existing, 'mine');
  const args = (json: string, ...more: string[]) => ['analyze', '--prompt', PROMPT, '--target', 'Tom', '--json', json, ...more];
  const refused = run(...args(existing));
  assertCleanError(refused, /kept\.blens\.json exists; pass --force/);
  assert.equal(refused.stdout, '', 'refused before any analysis output');
  assert.equal(fs.readFileSync(existing, 'utf8'), 'mine');
  fs.symlinkSync(existing, path.join(dir, 'link.json'));
  assertCleanError(run(...args(path.join(dir, 'link.json'), '--force')), /link\.json exists and is not a regular file/);
  assertCleanError(run(...args(dir, '--force')), /json-targets exists and is not a regular file/);
  assertCleanError(run(...args(path.join(dir, 'missing', 'r.json'))), /its folder .*missing does not exist/);
  assertCleanError(run(...args('')), /result path is empty/);
  const replaced = run(...args(existing, '--force'));
  assert.equal(replaced.status, 0, replaced.stderr);
  validateResult(JSON.parse(fs.readFileSync(existing, 'utf8')));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['kept.blens.json', 'link.json'], 'no temporary files left');
});

test('non-finite weights are one clear error, not a result with a null loss', () => {
  const folder = path.join(scratch, 'nan-weights');
  fs.mkdirSync(folder);
  const bytes = Buffer.from(fs.readFileSync(STORIES260K_CHECKPOINT));
  // The first weights after the 28-byte header: the token embedding, which every prompt reads from row 1 (BOS) on.
  for (let i = 0; i < 64 * 16; i++) bytes.writeFloatLE(NaN, 28 + 4 * i);
  fs.writeFileSync(path.join(folder, 'stories260K.bin'), bytes);
  fs.copyFileSync(STORIES260K_TOKENIZER, path.join(folder, 'tok512.bin'));
  const json = path.join(scratch, 'nan.blens.json');
  const result = run('analyze', '--prompt', PROMPT, '--target', 'Tom', '--model', folder, '--json', json);
  assertCleanError(result, /computed a loss of NaN .*weights probably hold NaN or infinite values/);
  assert.equal(fs.existsSync(json), false);
});
