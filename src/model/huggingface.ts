/**
 * Hugging Face model folders: config.json + safetensors weights + tokenizer.json, for the GPT-2
 * and Llama-family (Llama, Mistral, Qwen2) causal language models the engine can run exactly.
 */
import * as path from 'node:path';
import { MODEL_LIMITS, type ModelConfig, type ModelDescription, type WeightRef } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, readJsonFile } from '../files/read';
import { readSafetensorsFolder } from './safetensors';
import { readHuggingFaceTokenizer, type BosDefaults } from '../tokenizer/huggingface';

export const SUPPORTED_ARCHITECTURES = ['GPT2LMHeadModel', 'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const;
type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** Older or hand-written configs name only `model_type`. */
const ARCHITECTURE_OF_MODEL_TYPE: Record<string, SupportedArchitecture> = {
  gpt2: 'GPT2LMHeadModel',
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh'];

/** What a family's config.json yields: the model config, the tensors to expect, and the tokenizer's BOS convention. */
interface ParsedConfig {
  config: ModelConfig;
  expectedShapes: Record<string, number[]>;
  bos: BosDefaults;
}

export function loadHuggingFace(folder: string): ModelDescription {
  const configFile = path.join(folder, 'config.json');
  const raw = readJsonFile(fileInside(folder, 'config.json'));
  const fields = new ConfigFields(raw, configFile);
  const architecture = architectureOf(raw, configFile);
  const parsed = architecture === 'GPT2LMHeadModel' ? parseGpt2Config(fields) : parseLlamaFamilyConfig(fields, architecture);
  const stored = readSafetensorsFolder(folder);
  const names = normalizeNames(stored.weights);
  const config = { ...parsed.config, tiedEmbeddings: isTied(parsed.config, names) };
  const weights = selectWeights(withLmHead(names, config), parsed.expectedShapes, folder);
  const tokenizer = readHuggingFaceTokenizer(folder, parsed.bos, config.vocabSize);
  return { name: path.basename(path.resolve(folder)), source: folder, config, weights, weightFiles: stored.files, tokenizer };
}

function architectureOf(raw: Record<string, unknown>, configFile: string): SupportedArchitecture {
  const named = Array.isArray(raw.architectures) ? raw.architectures : [];
  const byModelType = ARCHITECTURE_OF_MODEL_TYPE[String(raw.model_type)];
  const candidates = [...named.map(String), ...(byModelType ? [byModelType] : [])];
  const supported = candidates.find((name): name is SupportedArchitecture => (SUPPORTED_ARCHITECTURES as readonly string[]).includes(name));
  if (supported) return supported;
  const found = candidates.length > 0 ? candidates.join(', ') : `model_type ${String(raw.model_type)}`;
  throw new ModelLoadError(`${configFile} describes ${found}, which is not supported; supported architectures are ${SUPPORTED_ARCHITECTURES.join(', ')}.`);
}

/** Typed reads of config.json fields, each failing with the field's name. */
class ConfigFields {
  constructor(
    readonly raw: Record<string, unknown>,
    private readonly file: string,
  ) {}

  /** A whole number from 1 to `max` (a corrupt config's 10³⁰⁰ layers is refused before any per-layer work). */
  positiveInt(key: string, max: number, fallback?: number): number {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) this.fail(key, `a positive integer, at most ${max}`);
    return value as number;
  }

  positiveNumber(key: string, fallback: number): number {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) this.fail(key, 'a positive number');
    return value as number;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value as boolean;
  }

  unsupported(what: string): never {
    throw new ModelLoadError(`${this.file} asks for ${what}, which is not supported; use a model without it.`);
  }

  inconsistent(what: string): never {
    throw new ModelLoadError(`${this.file} is inconsistent: ${what}; fix or re-download config.json.`);
  }

  private fail(key: string, expected: string): never {
    throw new ModelLoadError(`${this.file} has "${key}" = ${JSON.stringify(this.raw[key])}, but it must be ${expected}; fix or re-download config.json.`);
  }
}

function parseGpt2Config(f: ConfigFields): ParsedConfig {
  const activation = String(f.raw.activation_function ?? 'gelu_new');
  if (!GPT2_ACTIVATIONS.includes(activation)) f.unsupported(`activation_function "${activation}" (only ${GPT2_ACTIVATIONS.join(', ')})`);
  if (f.boolean('scale_attn_by_inverse_layer_idx', false)) f.unsupported('scale_attn_by_inverse_layer_idx');
  if (!f.boolean('tie_word_embeddings', true)) f.unsupported('an untied GPT-2 output layer (tie_word_embeddings false)');
  const d = f.positiveInt('n_embd', MODEL_LIMITS.hiddenSize);
  const heads = f.positiveInt('n_head', MODEL_LIMITS.heads);
  const ff = f.raw.n_inner === null ? 4 * d : f.positiveInt('n_inner', MODEL_LIMITS.intermediateSize, 4 * d);
  const config: ModelConfig = {
    architecture: 'gpt2',
    layers: f.positiveInt('n_layer', MODEL_LIMITS.layers),
    hiddenSize: d,
    intermediateSize: ff,
    heads,
    kvHeads: heads,
    headDim: divide(d, heads, 'n_embd', 'n_head', f),
    vocabSize: f.positiveInt('vocab_size', MODEL_LIMITS.vocabSize),
    contextLength: f.positiveInt('n_positions', MODEL_LIMITS.contextLength),
    normEps: f.positiveNumber('layer_norm_epsilon', 1e-5),
    ropeTheta: 0, // unused: GPT-2 learns absolute position embeddings
    ropeStyle: 'rotate-half',
    attentionBias: true,
    tiedEmbeddings: true,
  };
  return { config, expectedShapes: gpt2Shapes(config), bos: { addsBos: false } };
}

function gpt2Shapes(c: ModelConfig): Record<string, number[]> {
  const d = c.hiddenSize;
  const shapes: Record<string, number[]> = { 'wte.weight': [c.vocabSize, d], 'wpe.weight': [c.contextLength, d] };
  for (let i = 0; i < c.layers; i++) {
    // Conv1D stores [in, out].
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [d],
      [`h.${i}.ln_1.bias`]: [d],
      [`h.${i}.attn.c_attn.weight`]: [d, 3 * d],
      [`h.${i}.attn.c_attn.bias`]: [3 * d],
      [`h.${i}.attn.c_proj.weight`]: [d, d],
      [`h.${i}.attn.c_proj.bias`]: [d],
      [`h.${i}.ln_2.weight`]: [d],
      [`h.${i}.ln_2.bias`]: [d],
      [`h.${i}.mlp.c_fc.weight`]: [d, c.intermediateSize],
      [`h.${i}.mlp.c_fc.bias`]: [c.intermediateSize],
      [`h.${i}.mlp.c_proj.weight`]: [c.intermediateSize, d],
      [`h.${i}.mlp.c_proj.bias`]: [d],
    });
  }
  return Object.assign(shapes, { 'ln_f.weight': [d], 'ln_f.bias': [d] });
}

function parseLlamaFamilyConfig(f: ConfigFields, architecture: Exclude<SupportedArchitecture, 'GPT2LMHeadModel'>): ParsedConfig {
  rejectUnsupportedLlamaFeatures(f, architecture);
  const hidden = f.positiveInt('hidden_size', MODEL_LIMITS.hiddenSize);
  const heads = f.positiveInt('num_attention_heads', MODEL_LIMITS.heads);
  const kvHeads = f.positiveInt('num_key_value_heads', MODEL_LIMITS.heads, heads);
  divide(heads, kvHeads, 'num_attention_heads', 'num_key_value_heads', f);
  const config: ModelConfig = {
    architecture: 'llama',
    layers: f.positiveInt('num_hidden_layers', MODEL_LIMITS.layers),
    hiddenSize: hidden,
    intermediateSize: f.positiveInt('intermediate_size', MODEL_LIMITS.intermediateSize),
    heads,
    kvHeads,
    headDim: f.positiveInt('head_dim', MODEL_LIMITS.hiddenSize, divide(hidden, heads, 'hidden_size', 'num_attention_heads', f)),
    vocabSize: f.positiveInt('vocab_size', MODEL_LIMITS.vocabSize),
    contextLength: f.positiveInt('max_position_embeddings', MODEL_LIMITS.contextLength),
    normEps: f.positiveNumber('rms_norm_eps', 1e-6),
    ropeTheta: f.positiveNumber('rope_theta', 10000),
    ropeStyle: 'rotate-half',
    attentionBias: architecture === 'Qwen2ForCausalLM',
    tiedEmbeddings: f.boolean('tie_word_embeddings', false),
  };
  const addsBos = architecture !== 'Qwen2ForCausalLM';
  const bosTokenId = typeof f.raw.bos_token_id === 'number' ? f.raw.bos_token_id : undefined;
  return { config, expectedShapes: llamaShapes(config), bos: { addsBos, bosTokenId } };
}

function rejectUnsupportedLlamaFeatures(f: ConfigFields, architecture: SupportedArchitecture): void {
  const activation = String(f.raw.hidden_act ?? 'silu');
  if (activation !== 'silu') f.unsupported(`hidden_act "${activation}" (only silu)`);
  if (f.raw.rope_scaling !== undefined && f.raw.rope_scaling !== null) f.unsupported(`rope_scaling ${JSON.stringify(f.raw.rope_scaling)}`);
  if (f.raw.use_sliding_window === true) f.unsupported('sliding-window attention (use_sliding_window true)');
  const window = f.raw.sliding_window;
  if (architecture === 'MistralForCausalLM' && typeof window === 'number' && window < f.positiveInt('max_position_embeddings', MODEL_LIMITS.contextLength)) {
    f.unsupported(`sliding-window attention (sliding_window ${window})`);
  }
  if (architecture === 'LlamaForCausalLM' && f.boolean('attention_bias', false)) f.unsupported('attention_bias');
  if (f.boolean('mlp_bias', false)) f.unsupported('mlp_bias');
}

function llamaShapes(c: ModelConfig): Record<string, number[]> {
  const d = c.hiddenSize;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const ff = c.intermediateSize;
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [c.vocabSize, d] };
  for (let i = 0; i < c.layers; i++) {
    const layer = `model.layers.${i}`;
    // nn.Linear stores [out, in].
    Object.assign(shapes, {
      [`${layer}.input_layernorm.weight`]: [d],
      [`${layer}.self_attn.q_proj.weight`]: [qDim, d],
      [`${layer}.self_attn.k_proj.weight`]: [kvDim, d],
      [`${layer}.self_attn.v_proj.weight`]: [kvDim, d],
      [`${layer}.self_attn.o_proj.weight`]: [d, qDim],
      [`${layer}.post_attention_layernorm.weight`]: [d],
      [`${layer}.mlp.gate_proj.weight`]: [ff, d],
      [`${layer}.mlp.up_proj.weight`]: [ff, d],
      [`${layer}.mlp.down_proj.weight`]: [d, ff],
    });
    if (c.attentionBias) {
      Object.assign(shapes, {
        [`${layer}.self_attn.q_proj.bias`]: [qDim],
        [`${layer}.self_attn.k_proj.bias`]: [kvDim],
        [`${layer}.self_attn.v_proj.bias`]: [kvDim],
      });
    }
  }
  shapes['model.norm.weight'] = [d];
  shapes['lm_head.weight'] = [c.vocabSize, d];
  return shapes;
}

/** GPT-2 checkpoints saved from GPT2LMHeadModel prefix every name with `transformer.`; the bare GPT2Model ones do not. */
function normalizeNames(weights: Record<string, WeightRef>): Record<string, WeightRef> {
  return Object.fromEntries(Object.entries(weights).map(([name, ref]) => [name.replace(/^transformer\./, ''), ref]));
}

/** A Llama-family checkpoint without `lm_head.weight` reuses the embedding, whatever tie_word_embeddings says (as HF does). */
function isTied(config: ModelConfig, weights: Record<string, WeightRef>): boolean {
  return config.tiedEmbeddings || (config.architecture === 'llama' && !weights['lm_head.weight']);
}

/** Tied Llama-family models get an `lm_head.weight` that refers to the embedding's bytes. */
function withLmHead(weights: Record<string, WeightRef>, config: ModelConfig): Record<string, WeightRef> {
  if (config.architecture !== 'llama' || !config.tiedEmbeddings) return weights;
  return { ...weights, 'lm_head.weight': weights['model.embed_tokens.weight'] };
}

/** Exactly the expected tensors, each checked for presence and shape. */
function selectWeights(stored: Record<string, WeightRef>, expectedShapes: Record<string, number[]>, folder: string): Record<string, WeightRef> {
  const weights: Record<string, WeightRef> = {};
  for (const [name, shape] of Object.entries(expectedShapes)) {
    const ref = stored[name];
    if (!ref) {
      throw new ModelLoadError(`The weights in ${folder} lack tensor "${name}", which config.json implies; re-download the weights that belong to this config.json.`);
    }
    if (!sameShape(ref.shape, shape)) {
      throw new ModelLoadError(
        `Tensor "${name}" in ${ref.file} has shape [${ref.shape}] but config.json implies [${shape}]; re-download the weights that belong to this config.json.`,
      );
    }
    weights[name] = ref;
  }
  return weights;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function divide(numerator: number, denominator: number, numeratorKey: string, denominatorKey: string, f: ConfigFields): number {
  if (numerator % denominator !== 0) f.inconsistent(`${numeratorKey} ${numerator} is not a multiple of ${denominatorKey} ${denominator}`);
  return numerator / denominator;
}
