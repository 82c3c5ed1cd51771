/**
 * One test per class of hostile model file found by fuzzing the loaders: each must end, quickly,
 * in one ModelLoadError sentence naming the file, without reading anything outside the folder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { llama2cFileBytes, llama2cWeights, readLlama2cHeader } from '../../src/model/llama2c';
import { loadModel } from '../../src/model/load';
import { readSafetensorsHeader } from '../../src/model/safetensors';
import { makeTempDir, removeDir, STORIES260K_CHECKPOINT, STORIES260K_TOKENIZER } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

const TIMEOUT = { timeout: 20_000 };

describe('hostile model files', () => {
  let root: string;
  let count = 0;
  before(() => {
    root = makeTempDir('hostile');
  });
  after(() => removeDir(root));
  const folder = (name: string) => path.join(root, `${count++}-${name}`);

  async function refused(modelPath: string, pattern: RegExp): Promise<void> {
    await assert.rejects(loadModel(modelPath), (error: Error) => {
      assert.ok(error instanceof ModelLoadError, `${error.name}: ${error.message}`);
      assert.match(error.message, pattern);
      assert.equal(error.message.split('\n').length, 1, 'one line');
      return true;
    });
  }

  function llama2cFolder(patch: (header: Buffer) => void): string {
    const dir = folder('llama2c');
    fs.mkdirSync(dir);
    const bytes = Buffer.from(fs.readFileSync(STORIES260K_CHECKPOINT));
    patch(bytes);
    fs.writeFileSync(path.join(dir, 'stories260K.bin'), bytes);
    fs.copyFileSync(STORIES260K_TOKENIZER, path.join(dir, 'tok512.bin'));
    return dir;
  }

  test('a llama2.c header with 10⁶ … 2³¹−1 layers is refused before any per-layer work', TIMEOUT, async () => {
    for (const layers of [1e6, 2 ** 31 - 1]) {
      await refused(llama2cFolder((b) => b.writeInt32LE(layers, 8)), new RegExp(`n_layers is ${layers}, more than any model has`));
    }
  });

  test('the size formula of a llama2.c checkpoint agrees with its tensor layout', () => {
    const header = readLlama2cHeader(STORIES260K_CHECKPOINT);
    assert.equal(llama2cFileBytes(header), fs.statSync(STORIES260K_CHECKPOINT).size);
    for (const variant of [header, { ...header, tiedClassifier: false }, { ...header, kvHeads: 4 }]) {
      const refs = Object.values(llama2cWeights('x', variant));
      const end = Math.max(...refs.map((r) => r.offset + r.length));
      // The legacy rotary tables (seq_len × head size floats) sit between model.norm and an untied classifier.
      const rotary = variant.seqLen * (variant.dim / variant.heads) * 4;
      assert.equal(llama2cFileBytes(variant), variant.tiedClassifier ? end + rotary : end);
    }
  });

  test('config.json with 10⁷ or 10³⁰⁰ layers is refused at once', TIMEOUT, async () => {
    for (const layers of [1e7, 1e300]) {
      const model = writeTinyLlama(folder('layers'), { kind: 'llama' });
      fs.writeFileSync(path.join(model.dir, 'config.json'), JSON.stringify({ ...model.config, num_hidden_layers: layers }));
      await refused(model.dir, /"num_hidden_layers" = (10000000|1e\+300), but it must be a positive integer, at most 1024/);
    }
    const gpt2 = writeTinyGpt2(folder('gpt2-layers'));
    fs.writeFileSync(path.join(gpt2.dir, 'config.json'), JSON.stringify({ ...gpt2.config, n_layer: 1e300 }));
    await refused(gpt2.dir, /"n_layer"/);
  });

  test('tokenizer.json ids of 2³¹ (added token) or 10⁹ (vocabulary) are refused before the tokenizer is built', TIMEOUT, async () => {
    const model = writeTinyGpt2(folder('added-id'));
    const file = path.join(model.dir, 'tokenizer.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...json, added_tokens: [{ ...json.added_tokens[0], id: 2 ** 31 }] }));
    await refused(model.dir, /added token .* the id 2147483648, but ids are whole numbers below \d+, the model's vocab_size/);
    const first = Object.keys(json.model.vocab)[0];
    fs.writeFileSync(file, JSON.stringify({ ...json, model: { ...json.model, vocab: { ...json.model.vocab, [first]: 1e9 } } }));
    await refused(model.dir, /the id 1000000000/);
  });

  test('broken vocabularies (empty, an array for BPE, duplicate ids) are refused', TIMEOUT, async () => {
    const model = writeTinyGpt2(folder('vocab'));
    const file = path.join(model.dir, 'tokenizer.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const withVocab = (vocab: unknown, added: unknown[] = []) => fs.writeFileSync(file, JSON.stringify({ ...json, added_tokens: added, model: { ...json.model, vocab } }));
    withVocab({});
    await refused(model.dir, /empty vocabulary/);
    withVocab(Object.keys(json.model.vocab));
    await refused(model.dir, /"vocab" is not an object of token → id/);
    const [a, b] = Object.keys(json.model.vocab);
    withVocab({ ...json.model.vocab, [b]: json.model.vocab[a] });
    await refused(model.dir, /the same id/);
  });

  test('overlapping safetensors offsets are refused naming both tensors', () => {
    const dir = folder('overlap');
    fs.mkdirSync(dir);
    const header = Buffer.from(JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, Buffer.concat([length, header, Buffer.alloc(16)]));
    assert.throws(() => readSafetensorsHeader(file), (e: Error) => e instanceof ModelLoadError && /"a" and "b" .* overlap/.test(e.message));
  });

  test('a shard index naming files outside the folder, or no file, is refused', TIMEOUT, async () => {
    const other = writeTinyGpt2(folder('gpt2'));
    for (const shard of ['../../../etc/passwd', `../${path.basename(other.dir)}/model.safetensors`, '/etc/passwd', 42, null]) {
      const model = writeTinyGpt2(folder('index'), { sharded: true });
      const indexFile = path.join(model.dir, 'model.safetensors.index.json');
      const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
      const [first] = Object.keys(index.weight_map);
      fs.writeFileSync(indexFile, JSON.stringify({ ...index, weight_map: { ...index.weight_map, [first]: shard } }));
      await refused(model.dir, typeof shard === 'string' ? /leads out of the model folder/ : /is not a file name/);
    }
  });

  test('a link from inside the folder to a file outside it is refused', TIMEOUT, async () => {
    const other = writeTinyGpt2(folder('target'), { sharded: true });
    const model = writeTinyGpt2(folder('linked'), { sharded: true });
    const indexFile = path.join(model.dir, 'model.safetensors.index.json');
    const shard = Object.values(JSON.parse(fs.readFileSync(indexFile, 'utf8')).weight_map)[0] as string;
    fs.rmSync(path.join(model.dir, shard));
    fs.symlinkSync(path.join(other.dir, shard), path.join(model.dir, shard));
    await refused(model.dir, /is a link to .*, outside the model folder/);
  });

  test('FIFOs and devices named like model files are refused without being opened', TIMEOUT, async () => {
    const gpt2 = writeTinyGpt2(folder('fifo'));
    for (const name of ['model.safetensors', 'tokenizer.json', 'config.json']) {
      const file = path.join(gpt2.dir, name);
      const saved = fs.readFileSync(file);
      fs.rmSync(file);
      execFileSync('mkfifo', [file]);
      await refused(gpt2.dir, new RegExp(`${name.replace('.', '\\.')} is a named pipe`));
      fs.rmSync(file);
      fs.writeFileSync(file, saved);
    }
    const device = path.join(gpt2.dir, 'model.safetensors');
    fs.rmSync(device);
    fs.symlinkSync('/dev/zero', device);
    await refused(gpt2.dir, /is a device/);
    const llama2c = llama2cFolder(() => undefined);
    fs.rmSync(path.join(llama2c, 'tok512.bin'));
    execFileSync('mkfifo', [path.join(llama2c, 'tok512.bin')]);
    await refused(llama2c, /tok512\.bin is a named pipe/);
  });
});
