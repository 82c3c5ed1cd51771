import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/model/load';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { makeTempDir, removeDir, STORIES260K_CHECKPOINT, STORIES260K_DIR, STORIES260K_TOKENIZER } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

const rejectsWith = (pattern: RegExp) => (error: Error) => {
  assert.ok(error instanceof ModelLoadError, `expected a ModelLoadError, got ${error}`);
  assert.equal(error.name, 'ModelLoadError');
  assert.match(error.message, pattern);
  return true;
};

describe('loadModel', () => {
  let root: string;
  before(() => {
    root = makeTempDir('load');
  });
  after(() => removeDir(root));

  const llama2cFolder = (name: string, files: Record<string, string>): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    for (const [target, source] of Object.entries(files)) fs.copyFileSync(source, path.join(dir, target));
    return dir;
  };

  test('a llama2.c folder', async () => {
    const model = await loadModel(STORIES260K_DIR);
    assert.equal(model.config.hiddenSize, 64);
    assert.equal(model.weights['model.embed_tokens.weight'].file, STORIES260K_CHECKPOINT);
    assert.equal(model.tokenizer.vocabSize, 512);
  });

  test('a llama2.c checkpoint file finds its tokenizer beside it', async () => {
    const model = await loadModel(STORIES260K_CHECKPOINT);
    assert.equal(model.source, STORIES260K_CHECKPOINT);
    assert.deepEqual(model.tokenizer.encode('Once upon a time,'), [403, 407, 261, 378, 432]);
  });

  test('without a "tok" name, the smaller .bin is the tokenizer', async () => {
    const dir = llama2cFolder('unnamed', { 'model.bin': STORIES260K_CHECKPOINT, 'vocab.bin': STORIES260K_TOKENIZER });
    const model = await loadModel(dir);
    assert.equal(model.weightFiles[0], path.join(dir, 'model.bin'));
  });

  test('a llama2.c folder with only one .bin says what is missing', async () => {
    const dir = llama2cFolder('lonely', { 'stories260K.bin': STORIES260K_CHECKPOINT });
    await assert.rejects(loadModel(dir), rejectsWith(/only stories260K\.bin.*tokenizer/));
    await assert.rejects(loadModel(path.join(dir, 'stories260K.bin')), rejectsWith(/No llama2\.c tokenizer/));
  });

  test('a truncated checkpoint in a folder is reported', async () => {
    const dir = llama2cFolder('truncated', { 'tok512.bin': STORIES260K_TOKENIZER });
    fs.writeFileSync(path.join(dir, 'stories260K.bin'), fs.readFileSync(STORIES260K_CHECKPOINT).subarray(0, 5000));
    await assert.rejects(loadModel(dir), rejectsWith(/stories260K\.bin is 5000 bytes.*truncated/));
  });

  test('Hugging Face folders, or a file inside one', async () => {
    const gpt2 = writeTinyGpt2(path.join(root, 'gpt2'));
    assert.equal((await loadModel(gpt2.dir)).config.architecture, 'gpt2');
    const llama = writeTinyLlama(path.join(root, 'llama'), { kind: 'llama' });
    const model = await loadModel(path.join(llama.dir, 'config.json'));
    assert.equal(model.config.architecture, 'llama');
    assert.equal(model.name, 'llama');
  });

  test('a missing path, an empty folder and a foreign file are clear errors', async () => {
    await assert.rejects(loadModel(path.join(root, 'nowhere')), rejectsWith(/does not exist/));
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    await assert.rejects(loadModel(empty), rejectsWith(/neither config\.json.*nor llama2\.c \.bin/));
    const text = path.join(root, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    await assert.rejects(loadModel(text), rejectsWith(/is not a model/));
  });

  test('a corrupt config.json is a clear error', async () => {
    const gpt2 = writeTinyGpt2(path.join(root, 'corrupt'));
    fs.writeFileSync(path.join(gpt2.dir, 'config.json'), '{ "n_embd": ');
    await assert.rejects(loadModel(gpt2.dir), rejectsWith(/config\.json is not valid JSON/));
  });
});
