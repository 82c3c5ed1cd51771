import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ModelDescription } from '../../src/model/description';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { loadHuggingFace } from '../../src/model/huggingface';
import { makeTempDir, readWeightValues, removeDir } from '../support/fixtures';
import { TINY, TINY_NEOX, writeSafetensors, writeTinyGpt2, writeTinyLlama, writeTinyNeox, type TinyModel } from '../support/tinyModels';

/** Every stored tensor (prefix removed) is in the description with its shape and exact values. */
function assertWeightsMatch(model: ModelDescription, tiny: TinyModel): void {
  for (const [storedName, tensor] of Object.entries(tiny.tensors)) {
    const name = storedName.replace(/^transformer\./, '');
    const ref = model.weights[name];
    assert.ok(ref, `missing ${name}`);
    assert.deepEqual(ref.shape, tensor.shape, name);
    assert.deepEqual(readWeightValues(ref), tensor.values, name);
  }
}

function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config));
}

const isLoadError = (pattern: RegExp) => (error: Error) => {
  assert.ok(error instanceof ModelLoadError, `expected a ModelLoadError, got ${error}`);
  assert.match(error.message, pattern);
  return true;
};

describe('Hugging Face GPT-2 folders', () => {
  let root: string;
  before(() => {
    root = makeTempDir('hf-gpt2');
  });
  after(() => removeDir(root));

  for (const options of [{}, { prefixed: true }, { dtype: 'float16' as const, sharded: true }, { dtype: 'bfloat16' as const }]) {
    test(`loads ${JSON.stringify(options)}`, () => {
      const tiny = writeTinyGpt2(path.join(root, JSON.stringify(options).replace(/\W/g, '') || 'plain'), options);
      const model = loadHuggingFace(tiny.dir);
      assert.deepEqual(model.config, {
        architecture: 'gpt2',
        layers: 2,
        hiddenSize: 16,
        intermediateSize: 64,
        heads: 4,
        kvHeads: 4,
        headDim: 4,
        vocabSize: tiny.config.vocab_size,
        contextLength: TINY.context,
        normEps: 1e-5,
        ropeTheta: 0,
        ropeStyle: 'rotate-half',
        attentionBias: true,
        tiedEmbeddings: true,
      });
      assert.equal(Object.keys(model.weights).length, 2 + 2 * 12 + 2);
      assertWeightsMatch(model, tiny);
      assert.equal(model.weightFiles.length, options.sharded ? 2 : 1);
      assert.equal(model.tokenizer.bosId, undefined);
      assert.ok(model.tokenizer.encode('the cat sat').length > 0);
    });
  }

  test('n_inner overrides the 4 × n_embd feed-forward width', () => {
    const tiny = writeTinyGpt2(path.join(root, 'inner'));
    editConfig(tiny.dir, (config) => (config.n_inner = 32));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/"h\.0\.mlp\.c_fc\.weight".*\[16,64\].*\[16,32\]/));
  });

  test('other activations are rejected', () => {
    const tiny = writeTinyGpt2(path.join(root, 'relu'));
    editConfig(tiny.dir, (config) => (config.activation_function = 'relu'));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/activation_function "relu".*not supported/));
  });

  test('a missing tensor is named', () => {
    const tiny = writeTinyGpt2(path.join(root, 'missing'));
    const { 'ln_f.bias': _dropped, ...rest } = tiny.tensors;
    writeSafetensors(path.join(tiny.dir, 'model.safetensors'), rest, 'float32');
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/lack tensor "ln_f\.bias"/));
  });
});

describe('Hugging Face Llama-family folders', () => {
  let root: string;
  before(() => {
    root = makeTempDir('hf-llama');
  });
  after(() => removeDir(root));

  const variants = [
    { kind: 'llama' as const },
    { kind: 'llama' as const, tied: true, dtype: 'bfloat16' as const },
    { kind: 'llama' as const, dtype: 'float16' as const, sharded: true },
    { kind: 'qwen2' as const },
    { kind: 'qwen2' as const, tied: true, dtype: 'bfloat16' as const, sharded: true },
  ];
  for (const options of variants) {
    test(`loads ${JSON.stringify(options)}`, () => {
      const tiny = writeTinyLlama(path.join(root, JSON.stringify(options).replace(/\W/g, '')), options);
      const model = loadHuggingFace(tiny.dir);
      const qwen = options.kind === 'qwen2';
      assert.deepEqual(model.config, {
        architecture: 'llama',
        layers: 2,
        hiddenSize: 16,
        intermediateSize: TINY.intermediate,
        heads: 4,
        kvHeads: 2,
        headDim: 4,
        vocabSize: tiny.config.vocab_size,
        contextLength: TINY.context,
        normEps: 1e-6,
        ropeTheta: 10000,
        ropeStyle: 'rotate-half',
        attentionBias: qwen,
        tiedEmbeddings: Boolean(options.tied),
      });
      assert.equal(Object.keys(model.weights).length, 3 + 2 * (qwen ? 12 : 9));
      assertWeightsMatch(model, tiny);
      if (options.tied) assert.equal(model.weights['lm_head.weight'], model.weights['model.embed_tokens.weight']);
      else assert.notEqual(model.weights['lm_head.weight'].offset, model.weights['model.embed_tokens.weight'].offset);
      if (qwen) assert.deepEqual(model.weights['model.layers.1.self_attn.k_proj.bias'].shape, [8]);
      assert.equal(model.tokenizer.bosId, qwen ? undefined : 1);
      assert.ok(model.tokenizer.encode('the cat sat').length > 0);
    });
  }

  test('an untied config whose files lack lm_head.weight falls back to the embedding', () => {
    const tiny = writeTinyLlama(path.join(root, 'headless'), { kind: 'llama' });
    const { 'lm_head.weight': _dropped, ...rest } = tiny.tensors;
    writeSafetensors(path.join(tiny.dir, 'model.safetensors'), rest, 'float32');
    const model = loadHuggingFace(tiny.dir);
    assert.equal(model.config.tiedEmbeddings, true);
    assert.equal(model.weights['lm_head.weight'], model.weights['model.embed_tokens.weight']);
  });

  test('Mistral loads without a sliding window and is rejected with one', () => {
    const tiny = writeTinyLlama(path.join(root, 'mistral'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => {
      config.architectures = ['MistralForCausalLM'];
      config.model_type = 'mistral';
      config.sliding_window = null;
    });
    assert.equal(loadHuggingFace(tiny.dir).config.architecture, 'llama');
    editConfig(tiny.dir, (config) => (config.sliding_window = 32));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/sliding_window 32/));
  });

  test('Qwen2 with use_sliding_window is rejected', () => {
    const tiny = writeTinyLlama(path.join(root, 'qwen-window'), { kind: 'qwen2' });
    editConfig(tiny.dir, (config) => (config.use_sliding_window = true));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/use_sliding_window/));
  });

  test('rope_scaling is rejected as unsupported', () => {
    const tiny = writeTinyLlama(path.join(root, 'rope'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => (config.rope_scaling = { rope_type: 'llama3', factor: 8 }));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/rope_scaling.*not supported/));
  });

  test('transformers 5 configs: rope_theta is read from rope_parameters and must agree with a top-level copy', () => {
    const tiny = writeTinyLlama(path.join(root, 'rope-parameters'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => {
      delete config.rope_theta;
      delete config.rope_scaling;
      config.rope_parameters = { rope_type: 'default', rope_theta: 500000, partial_rotary_factor: 1 };
    });
    assert.equal(loadHuggingFace(tiny.dir).config.ropeTheta, 500000);
    editConfig(tiny.dir, (config) => (config.rope_theta = 500000));
    assert.equal(loadHuggingFace(tiny.dir).config.ropeTheta, 500000);
    editConfig(tiny.dir, (config) => (config.rope_theta = 10000));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/inconsistent: "rope_theta" is 10000 but "rope_parameters\.rope_theta" is 500000/));
  });

  const ropeRefusals: [string, (config: Record<string, unknown>) => void, RegExp][] = [
    ['a scaled rope in rope_parameters', (c) => (c.rope_parameters = { rope_type: 'llama3', rope_theta: 500000, factor: 8 }), /rope_parameters \{"rope_type":"llama3".*\(only rope_type "default"\).*not supported/],
    ['rotary on part of each head', (c) => (c.rope_parameters = { rope_type: 'default', partial_rotary_factor: 0.5 }), /partial_rotary_factor 0\.5 \(rotary on part of each head; only 1\).*not supported/],
    ['a rope_parameters that is not an object', (c) => (c.rope_parameters = 'default'), /inconsistent: rope_parameters is not an object/],
  ];
  for (const [name, edit, pattern] of ropeRefusals) {
    test(`${name} is refused from config.json`, () => {
      const tiny = writeTinyLlama(path.join(root, name.replace(/\W+/g, '-')), { kind: 'llama' });
      editConfig(tiny.dir, edit);
      assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(pattern));
    });
  }

  test('defaults: no num_key_value_heads means one per head; no rope_theta means 10000', () => {
    const tiny = writeTinyLlama(path.join(root, 'defaults'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => {
      delete config.num_key_value_heads;
      delete config.rope_theta;
    });
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/"model\.layers\.0\.self_attn\.k_proj\.weight".*shape \[8,16\].*implies \[16,16\]/));
  });

  test('unknown architectures list the supported ones', () => {
    const tiny = writeTinyLlama(path.join(root, 'bert'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => {
      config.architectures = ['BertForMaskedLM'];
      config.model_type = 'bert';
    });
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/BertForMaskedLM.*GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM/));
  });

  test('bad config fields are named', () => {
    const tiny = writeTinyLlama(path.join(root, 'bad-field'), { kind: 'llama' });
    editConfig(tiny.dir, (config) => (config.hidden_size = 'big'));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/"hidden_size" = "big".*positive integer/));
  });
});

describe('Hugging Face GPT-NeoX folders', () => {
  let root: string;
  before(() => {
    root = makeTempDir('hf-neox');
  });
  after(() => removeDir(root));

  const neoxConfig = (tiny: TinyModel, overrides: Partial<ModelDescription['config']> = {}) => ({
    architecture: 'gpt-neox',
    layers: 2,
    hiddenSize: 16,
    intermediateSize: TINY_NEOX.intermediate,
    heads: 2,
    kvHeads: 2,
    headDim: TINY_NEOX.headDim,
    vocabSize: tiny.config.vocab_size,
    contextLength: TINY.context,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'rotate-half',
    attentionBias: true,
    tiedEmbeddings: false,
    neox: { rotaryDims: 4, parallelResidual: true, activation: 'gelu-erf' },
    ...overrides,
  });

  for (const options of [{}, { tied: true, dtype: 'bfloat16' as const }, { dtype: 'float16' as const, sharded: true }]) {
    test(`loads ${JSON.stringify(options)}`, () => {
      const tiny = writeTinyNeox(path.join(root, JSON.stringify(options).replace(/\W/g, '') || 'plain'), options);
      const model = loadHuggingFace(tiny.dir);
      assert.deepEqual(model.config, neoxConfig(tiny, { tiedEmbeddings: Boolean(options.tied) }));
      assert.equal(Object.keys(model.weights).length, 4 + 2 * 12);
      assertWeightsMatch(model, tiny);
      if (options.tied) assert.equal(model.weights['embed_out.weight'], model.weights['gpt_neox.embed_in.weight']);
      assert.deepEqual(model.weights['gpt_neox.layers.1.attention.query_key_value.weight'].shape, [48, 16]);
      assert.equal(model.weightFiles.length, options.sharded ? 2 : 1);
      assert.equal(model.tokenizer.bosId, undefined);
      assert.equal(model.tokenizer.encode('the cat sat').length, 3);
      assert.equal(model.tokenizer.tokenText(model.config.vocabSize - 1), `<unused ${model.config.vocabSize - 1}>`, 'embed_out has rows past the tokenizer, as in Pythia');
    });
  }

  test('sequential residual, tanh GELU and no attention biases are read', () => {
    const tiny = writeTinyNeox(path.join(root, 'variants'), { parallelResidual: false, hiddenAct: 'gelu_new', rotaryPct: 0.25 });
    editConfig(tiny.dir, (config) => (config.attention_bias = false));
    const model = loadHuggingFace(tiny.dir);
    assert.deepEqual(model.config, neoxConfig(tiny, { attentionBias: false, neox: { rotaryDims: 2, parallelResidual: false, activation: 'gelu-tanh' } }));
    assert.equal(model.weights['gpt_neox.layers.0.attention.dense.bias'], undefined);
    assert.equal(model.weights['gpt_neox.layers.0.attention.query_key_value.bias'], undefined);
  });

  test('transformers 5 configs (rope_parameters) and the copies transformers 4 writes are read; copies must agree', () => {
    const tiny = writeTinyNeox(path.join(root, 'rope-parameters'));
    editConfig(tiny.dir, (config) => {
      delete config.rotary_pct;
      delete config.rotary_emb_base;
      config.rope_parameters = { rope_type: 'default', rope_theta: 500, partial_rotary_factor: 0.5 };
    });
    assert.deepEqual(loadHuggingFace(tiny.dir).config, neoxConfig(tiny, { ropeTheta: 500 }));
    editConfig(tiny.dir, (config) => {
      delete config.rope_parameters;
      Object.assign(config, { rotary_pct: 0.5, partial_rotary_factor: 0.5, rotary_emb_base: 500, rope_theta: 500 });
    });
    assert.deepEqual(loadHuggingFace(tiny.dir).config, neoxConfig(tiny, { ropeTheta: 500 }));
    editConfig(tiny.dir, (config) => (config.rope_theta = 10000));
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/inconsistent: "rotary_emb_base" is 500 but "rope_theta" is 10000/));
  });

  const refusals: [string, (config: Record<string, unknown>) => void, RegExp][] = [
    ['another activation', (c) => (c.hidden_act = 'relu'), /hidden_act "relu" \(only gelu, gelu_new, gelu_pytorch_tanh\).*not supported/],
    ['rope_scaling', (c) => (c.rope_scaling = { type: 'linear', factor: 2 }), /rope_scaling \{"type":"linear","factor":2\}.*not supported/],
    ['a scaled rope in rope_parameters', (c) => (c.rope_parameters = { rope_type: 'dynamic', factor: 2 }), /rope_parameters \{"rope_type":"dynamic".*not supported/],
    ['an odd rotary width', (c) => (c.rotary_pct = 0.375), /rotary over 3 of head_dim 8 \(rotary_pct 0\.375\).*even number/],
    ['no rotary dims', (c) => (c.rotary_pct = 0.1), /rotary over 0 of head_dim 8/],
    ['a rotary share above 1', (c) => (c.rotary_pct = 1.5), /"rotary_pct" = 1\.5, but it must be a number above 0, at most 1/],
    ['heads that do not divide the width', (c) => (c.num_attention_heads = 3), /hidden_size 16 is not a multiple of num_attention_heads 3/],
  ];
  for (const [name, edit, pattern] of refusals) {
    test(`${name} is refused from config.json`, () => {
      const tiny = writeTinyNeox(path.join(root, name.replace(/\W+/g, '-')));
      editConfig(tiny.dir, edit);
      assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(pattern));
    });
  }

  test('an untied config whose files lack embed_out.weight is refused (transformers would initialise it at random)', () => {
    const tiny = writeTinyNeox(path.join(root, 'headless'));
    const { 'embed_out.weight': _dropped, ...rest } = tiny.tensors;
    writeSafetensors(path.join(tiny.dir, 'model.safetensors'), rest, 'float32');
    assert.throws(() => loadHuggingFace(tiny.dir), isLoadError(/lack tensor "embed_out\.weight"/));
  });
});
