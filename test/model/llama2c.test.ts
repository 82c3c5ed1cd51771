import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ModelDescription } from '../../src/model/description';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { loadLlama2c } from '../../src/model/llama2c';
import { makeTempDir, readWeightValues, removeDir, STORIES260K_CHECKPOINT, STORIES260K_TOKENIZER } from '../support/fixtures';

const FILE_BYTES = 1_056_540;
const FLOAT = 4;

describe('llama2.c checkpoint: stories260K', () => {
  let model: ModelDescription;
  before(() => {
    model = loadLlama2c(STORIES260K_CHECKPOINT, STORIES260K_TOKENIZER);
  });

  test('reads the README configuration', () => {
    assert.deepEqual(model.config, {
      architecture: 'llama',
      layers: 5,
      hiddenSize: 64,
      intermediateSize: 172,
      heads: 8,
      kvHeads: 4,
      headDim: 8,
      vocabSize: 512,
      contextLength: 512,
      normEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: 'interleaved',
      attentionBias: false,
      tiedEmbeddings: true,
    });
    assert.equal(model.name, 'stories260K');
    assert.deepEqual(model.weightFiles, [STORIES260K_CHECKPOINT]);
    assert.equal(model.tokenizer.vocabSize, 512);
  });

  test('maps every tensor to its Hugging Face name at the file offset the README layout implies', () => {
    const at = (floatsBefore: number): number => 28 + FLOAT * floatsBefore;
    const embed = 512 * 64;
    const norms = 5 * 64;
    const wq = 5 * 64 * 64;
    const wkv = 5 * 32 * 64;
    const ffn = 5 * 172 * 64;
    const expect = (name: string, shape: number[], offset: number): void => {
      const ref = model.weights[name];
      assert.ok(ref, name);
      assert.deepEqual({ shape: ref.shape, offset: ref.offset, dtype: ref.dtype }, { shape, offset, dtype: 'float32' }, name);
      assert.equal(ref.length, shape.reduce((a, b) => a * b, 1) * FLOAT, name);
    };
    expect('model.embed_tokens.weight', [512, 64], 28);
    expect('model.layers.0.input_layernorm.weight', [64], at(embed));
    expect('model.layers.1.input_layernorm.weight', [64], at(embed + 64));
    expect('model.layers.0.self_attn.q_proj.weight', [64, 64], at(embed + norms));
    expect('model.layers.4.self_attn.q_proj.weight', [64, 64], at(embed + norms + 4 * 64 * 64));
    expect('model.layers.0.self_attn.k_proj.weight', [32, 64], at(embed + norms + wq));
    expect('model.layers.0.self_attn.v_proj.weight', [32, 64], at(embed + norms + wq + wkv));
    expect('model.layers.0.self_attn.o_proj.weight', [64, 64], at(embed + norms + wq + 2 * wkv));
    expect('model.layers.0.post_attention_layernorm.weight', [64], at(embed + norms + 2 * wq + 2 * wkv));
    expect('model.layers.0.mlp.gate_proj.weight', [172, 64], at(embed + 2 * norms + 2 * wq + 2 * wkv));
    expect('model.layers.0.mlp.down_proj.weight', [64, 172], at(embed + 2 * norms + 2 * wq + 2 * wkv + ffn));
    expect('model.layers.0.mlp.up_proj.weight', [172, 64], at(embed + 2 * norms + 2 * wq + 2 * wkv + 2 * ffn));
    expect('model.norm.weight', [64], 1_039_900);
    assert.equal(model.weights['lm_head.weight'], model.weights['model.embed_tokens.weight']);
    assert.equal(Object.keys(model.weights).length, 1 + 5 * 9 + 2);
  });

  test('offsets land on real weights: RMSNorm gains are finite and mostly positive', () => {
    const gains = readWeightValues(model.weights['model.norm.weight']);
    assert.ok(gains.every(Number.isFinite));
    assert.ok(gains.filter((g) => g > 0).length > 48);
  });
});

describe('llama2.c checkpoint errors and variants', () => {
  let dir: string;
  let original: Buffer;
  before(() => {
    dir = makeTempDir('llama2c');
    original = fs.readFileSync(STORIES260K_CHECKPOINT);
  });
  after(() => removeDir(dir));

  const writeCheckpoint = (name: string, bytes: Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const isLoadError = (pattern: RegExp) => (error: Error) => {
    assert.ok(error instanceof ModelLoadError, `expected a ModelLoadError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  };

  test('a truncated checkpoint is rejected as truncated, naming the file', () => {
    const file = writeCheckpoint('truncated.bin', original.subarray(0, FILE_BYTES - 100));
    assert.throws(() => loadLlama2c(file, STORIES260K_TOKENIZER), isLoadError(/truncated\.bin.*truncated/));
  });

  test('trailing bytes are rejected', () => {
    const file = writeCheckpoint('long.bin', Buffer.concat([original, Buffer.alloc(8)]));
    assert.throws(() => loadLlama2c(file, STORIES260K_TOKENIZER), isLoadError(/implies 1056540/));
  });

  test('a file shorter than the header is rejected', () => {
    const file = writeCheckpoint('tiny.bin', original.subarray(0, 10));
    assert.throws(() => loadLlama2c(file, STORIES260K_TOKENIZER), isLoadError(/header/));
  });

  test('an impossible header is rejected', () => {
    const bytes = Buffer.from(original);
    bytes.writeInt32LE(0, 12); // n_heads
    const file = writeCheckpoint('heads.bin', bytes);
    assert.throws(() => loadLlama2c(file, STORIES260K_TOKENIZER), isLoadError(/n_heads is 0/));
  });

  test('a negative vocab_size means a separate classifier after the rotary tables', () => {
    const bytes = Buffer.concat([original, Buffer.alloc(512 * 64 * FLOAT)]);
    bytes.writeInt32LE(-512, 20);
    const file = writeCheckpoint('untied.bin', bytes);
    const model = loadLlama2c(file, STORIES260K_TOKENIZER);
    assert.equal(model.config.tiedEmbeddings, false);
    assert.equal(model.config.vocabSize, 512);
    assert.deepEqual(model.weights['lm_head.weight'], { file, dtype: 'float32', shape: [512, 64], offset: FILE_BYTES, length: 512 * 64 * FLOAT });
  });

  test('a tokenizer with a different vocabulary size is rejected', () => {
    const tokenizerBytes = fs.readFileSync(STORIES260K_TOKENIZER);
    let offset = 4;
    for (let id = 0; id < 300; id++) offset += 8 + tokenizerBytes.readInt32LE(offset + 4);
    const tokenizer = writeCheckpoint('tok300.bin', tokenizerBytes.subarray(0, offset));
    assert.throws(() => loadLlama2c(STORIES260K_CHECKPOINT, tokenizer), isLoadError(/300 tokens.*expects 512/));
  });
});
