/** The cache as Python's huggingface_hub leaves it: found and used without the hub, and listed with what a picker shows. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listCachedModels } from '../../src/hub/cachedModels';
import { CLI_HINTS } from '../../src/hub/hubOptions';
import { resolveModel } from '../../src/hub/resolveModel';
import { loadModel } from '../../src/model/load';
import { makeTempDir, removeDir } from '../support/fixtures';
import { unreachableUrl } from '../support/mockHub';
import { writePythonCache } from '../support/pythonCache';
import { writeTinyGpt2, writeTinyLlama, type TinyModel } from '../support/tinyModels';

const scratch = makeTempDir('hub-cache');
after(() => removeDir(scratch));

const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);
const parameters = (model: TinyModel) => Object.values(model.tensors).reduce((sum, t) => sum + t.shape.reduce((n, s) => n * s, 1), 0);
const folderBytes = (folder: string) => fs.readdirSync(folder).reduce((sum, name) => sum + fs.statSync(path.join(folder, name)).size, 0);

test('a model Python downloaded is used as it is, with no hub in reach', async () => {
  const cacheDir = path.join(scratch, 'python');
  const model = writeTinyGpt2(path.join(scratch, 'src-gpt2'));
  const snapshot = writePythonCache(cacheDir, 'tiny/python-made', model.dir, COMMIT_A);
  const hub = { endpoint: await unreachableUrl(), offline: false, cacheDir, hints: CLI_HINTS };
  assert.equal(await resolveModel('tiny/python-made', hub), snapshot);
  assert.equal(await resolveModel(`tiny/python-made@${COMMIT_A}`, hub), snapshot);
  const loaded = await loadModel(snapshot);
  assert.equal(loaded.name, 'tiny/python-made');
  assert.equal(loaded.config.layers, 2);
});

test('existing paths win over ids, and what is not an id stays a path', async () => {
  const hub = { endpoint: await unreachableUrl(), offline: true, cacheDir: path.join(scratch, 'none'), hints: CLI_HINTS };
  const local = writeTinyGpt2(path.join(scratch, 'org', 'name')).dir;
  const cwd = process.cwd();
  process.chdir(scratch);
  try {
    assert.equal(await resolveModel('org/name', hub), local);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(await resolveModel('/no/such/model/folder', hub), '/no/such/model/folder');
});

test('the listing shows runnable snapshots with revision, architecture, parameters, dtype and size', () => {
  const cacheDir = path.join(scratch, 'listing');
  const gpt2 = writeTinyGpt2(path.join(scratch, 'list-gpt2'));
  const llama = writeTinyLlama(path.join(scratch, 'list-llama'), { kind: 'llama', dtype: 'bfloat16', sharded: true, tied: true });
  writePythonCache(cacheDir, 'tiny/gpt2', gpt2.dir, COMMIT_A);
  const tagged = writePythonCache(cacheDir, 'tiny/llama', llama.dir, COMMIT_B);
  fs.writeFileSync(path.join(cacheDir, 'models--tiny--llama', 'refs', 'main'), COMMIT_A);
  fs.mkdirSync(path.join(cacheDir, 'models--tiny--llama', 'refs', 'tags'), { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'models--tiny--llama', 'refs', 'tags', 'v1'), COMMIT_B);
  const bert = path.join(scratch, 'list-bert');
  fs.cpSync(gpt2.dir, bert, { recursive: true });
  fs.writeFileSync(path.join(bert, 'config.json'), JSON.stringify({ architectures: ['BertForMaskedLM'] }));
  writePythonCache(cacheDir, 'tiny/bert', bert, COMMIT_A);
  const partial = writePythonCache(cacheDir, 'tiny/partial', gpt2.dir, COMMIT_A);
  fs.rmSync(path.join(partial, 'tokenizer.json'));
  writePythonCache(cacheDir, 'gpt2', gpt2.dir, COMMIT_A);

  const { models, skipped } = listCachedModels(cacheDir);
  assert.deepEqual(
    models.map(({ reference, repo, revision, commit, architecture, dtype }) => ({ reference, repo, revision, commit, architecture, dtype })),
    [
      { reference: 'tiny/gpt2', repo: 'tiny/gpt2', revision: 'main', commit: COMMIT_A, architecture: 'GPT2LMHeadModel', dtype: 'float32' },
      { reference: 'tiny/llama@tags/v1', repo: 'tiny/llama', revision: 'tags/v1', commit: COMMIT_B, architecture: 'LlamaForCausalLM', dtype: 'bfloat16' },
    ],
  );
  assert.equal(models[0].parameters, parameters(gpt2));
  assert.equal(models[1].parameters, parameters(llama));
  assert.equal(models[0].sizeOnDisk, folderBytes(gpt2.dir));
  assert.equal(models[1].folder, tagged);
  assert.deepEqual(skipped.map((s) => s.repo), ['tiny/bert']);
  assert.match(skipped[0].reason, /BertForMaskedLM/);
});
