import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { readHuggingFaceTokenizer } from '../../src/tokenizer/huggingface';
import { makeTempDir, removeDir } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

describe('Hugging Face tokenizers', () => {
  let root: string;
  before(() => {
    root = makeTempDir('hf-tok');
  });
  after(() => removeDir(root));

  test('byte-level BPE (GPT-2 style): no BOS, readable pieces, lossless decode', () => {
    const model = writeTinyGpt2(path.join(root, 'gpt2'));
    const tokenizer = readHuggingFaceTokenizer(model.dir, { addsBos: false });
    assert.equal(tokenizer.vocabSize, model.config.vocab_size);
    assert.equal(tokenizer.bosId, undefined);
    const ids = tokenizer.encode('the cat sat in Paris');
    assert.deepEqual(ids.map((id) => tokenizer.tokenText(id)), ['the', ' cat', ' sat', ' in', ' Paris']);
    assert.equal(tokenizer.decode(tokenizer.encode('the cat sat on the mat, é!\n')), 'the cat sat on the mat, é!\n');
  });

  test('byte-level pieces holding part of a character show as bytes', () => {
    const tokenizer = readHuggingFaceTokenizer(writeTinyGpt2(path.join(root, 'gpt2-bytes')).dir, { addsBos: false });
    assert.deepEqual(tokenizer.encode('é').map((id) => tokenizer.tokenText(id)), ['<0xC3>', '<0xA9>']);
    assert.equal(tokenizer.tokenText(tokenizer.encode('\n')[0]), '\n');
  });

  test('sentencepiece BPE (Llama style): BOS from tokenizer_config, word-start spaces kept in pieces', () => {
    const model = writeTinyLlama(path.join(root, 'llama'), { kind: 'llama' });
    const tokenizer = readHuggingFaceTokenizer(model.dir, { addsBos: true, bosTokenId: 1 });
    assert.equal(tokenizer.vocabSize, model.config.vocab_size);
    assert.equal(tokenizer.bosId, 1);
    const ids = tokenizer.encode('the cat sat');
    assert.ok(!ids.includes(1), 'encode adds no BOS');
    assert.deepEqual(ids.map((id) => tokenizer.tokenText(id)), [' the', ' cat', ' sat']);
    assert.equal(tokenizer.decode(ids), 'the cat sat');
    assert.deepEqual(tokenizer.encode('é').slice(-2).map((id) => tokenizer.tokenText(id)), ['<0xC3>', '<0xA9>']);
    assert.equal(tokenizer.tokenText(tokenizer.encode('!').at(-1)!), '!');
  });

  test('add_bos_token in tokenizer_config.json overrides the architecture default', () => {
    const llama = writeTinyLlama(path.join(root, 'llama-no-bos'), { kind: 'llama' });
    fs.writeFileSync(path.join(llama.dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false, bos_token: '<s>' }));
    assert.equal(readHuggingFaceTokenizer(llama.dir, { addsBos: true, bosTokenId: 1 }).bosId, undefined);

    const qwen = writeTinyLlama(path.join(root, 'qwen-bos'), { kind: 'qwen2' });
    fs.writeFileSync(path.join(qwen.dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: true, bos_token: { content: '<|endoftext|>' } }));
    assert.equal(readHuggingFaceTokenizer(qwen.dir, { addsBos: false }).bosId, Number(qwen.config.vocab_size) - 1);
  });

  test('without tokenizer_config.json the default applies, with config.json\'s bos_token_id', () => {
    const llama = writeTinyLlama(path.join(root, 'llama-no-config'), { kind: 'llama' });
    fs.rmSync(path.join(llama.dir, 'tokenizer_config.json'));
    assert.equal(readHuggingFaceTokenizer(llama.dir, { addsBos: true, bosTokenId: 1 }).bosId, 1);
  });

  test('a missing or corrupt tokenizer.json is a ModelLoadError naming the folder or file', () => {
    const model = writeTinyGpt2(path.join(root, 'broken'));
    const file = path.join(model.dir, 'tokenizer.json');
    fs.writeFileSync(file, '{"model": ');
    assert.throws(() => readHuggingFaceTokenizer(model.dir, { addsBos: false }), (error: Error) => error instanceof ModelLoadError && error.message.includes(file));
    fs.rmSync(file);
    assert.throws(() => readHuggingFaceTokenizer(model.dir, { addsBos: false }), /has no tokenizer\.json/);
  });
});
