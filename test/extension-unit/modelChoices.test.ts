/** What the model picker lists and checks, and the hub options the extension downloads with. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeDownload } from '../../src/extension/engineSteps';
import { extensionHubOptions } from '../../src/extension/hubSettings';
import { cachedChoices, modelProblem, needsDownload } from '../../src/extension/modelChoices';
import { makeTempDir, removeDir } from '../support/fixtures';
import { writePythonCache } from '../support/pythonCache';
import { writeTinyGpt2 } from '../support/tinyModels';

const scratch = makeTempDir('model-choices');
after(() => removeDir(scratch));

test('the picker lists cached runnable models with their facts, and checks a choice without loading weights', async () => {
  const cacheDir = path.join(scratch, 'hub');
  const gpt2 = writeTinyGpt2(path.join(scratch, 'gpt2'), { dtype: 'float16' });
  const snapshot = writePythonCache(cacheDir, 'tiny/gpt2', gpt2.dir, 'd'.repeat(40));
  const [choice, ...others] = cachedChoices(cacheDir, 128);
  assert.deepEqual(others, []);
  assert.deepEqual({ ...choice, detail: undefined }, { label: 'tiny/gpt2', description: 'GPT2LMHeadModel · 12K parameters', detail: undefined, reference: 'tiny/gpt2' });
  assert.match(choice.detail, /^float16 · 31\.5 kB · needs ≈ \d+(\.\d+)? MB RAM at 128 tokens · /);
  assert.ok(choice.detail.endsWith(` · ${snapshot}`), choice.detail);
  assert.equal(needsDownload('tiny/gpt2', cacheDir), false);
  assert.equal(needsDownload('tiny/other', cacheDir), true);
  assert.equal(needsDownload(gpt2.dir, cacheDir), false);
  assert.equal(await modelProblem('tiny/gpt2', cacheDir), undefined);
  assert.equal(await modelProblem(gpt2.dir, cacheDir), undefined);
  assert.match((await modelProblem(path.join(scratch, 'nowhere'), cacheDir)) ?? '', /nowhere does not exist/);
  const broken = path.join(scratch, 'broken');
  fs.cpSync(gpt2.dir, broken, { recursive: true });
  fs.writeFileSync(path.join(broken, 'tokenizer.json'), '{');
  assert.match((await modelProblem(broken, cacheDir)) ?? '', /tokenizer\.json is not valid JSON/);
});

test('the extension downloads with the environment, its offline setting and the stored token', () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { HF_ENDPOINT: 'http://mirror.example/', HF_HUB_CACHE: path.join(scratch, 'cache'), HF_TOKEN: 'hf_fromenv', HF_HUB_OFFLINE: '' });
    const plain = extensionHubOptions(false, undefined);
    assert.deepEqual([plain.endpoint, plain.cacheDir, plain.token, plain.offline], ['http://mirror.example', path.join(scratch, 'cache'), 'hf_fromenv', false]);
    assert.match(plain.hints.token, /Backward Lens: Set Hugging Face Token/);
    const set = extensionHubOptions(true, 'hf_stored');
    assert.deepEqual([set.token, set.offline, set.hints.offline], ['hf_stored', true, 'the backwardLens.hubOffline setting']);
    process.env.HF_HUB_OFFLINE = '1';
    assert.deepEqual([extensionHubOptions(false, undefined).offline, extensionHubOptions(false, undefined).hints.offline], [true, 'HF_HUB_OFFLINE=1']);
  } finally {
    process.env = saved;
  }
});

test('a download reads as the notification shows it', () => {
  assert.deepEqual(describeDownload({ file: 'model.safetensors', done: 2.5e6, total: 10e6 }), { message: 'downloading model.safetensors: 2.5 of 10.0 MB', percent: 25 });
  assert.equal(describeDownload({ file: 'model.safetensors', done: 24_100, total: 60_200 }).message, 'downloading model.safetensors: 24.1 of 60.2 kB');
  assert.equal(describeDownload({ file: 'model.safetensors', done: 0.5e9, total: 2.2e9 }).message, 'downloading model.safetensors: 0.5 of 2.2 GB');
});
