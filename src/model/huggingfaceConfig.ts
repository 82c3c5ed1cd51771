/**
 * Hugging Face config.json files: which architecture a model is, whether the engine can run it
 * exactly (GPT-2 and the Llama family: Llama, Mistral, Qwen2), and its sizes.
 */
import * as path from 'node:path';
import { MODEL_LIMITS, type ModelConfig } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, readJsonFile } from '../files/read';
import type { BosDefaults } from '../tokenizer/huggingface';

export const SUPPORTED_ARCHITECTURES = ['GPT2LMHeadModel', 'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** Older or hand-written configs name only `model_type`. */
const ARCHITECTURE_OF_MODEL_TYPE: Record<string, SupportedArchitecture> = {
  gpt2: 'GPT2LMHeadModel',
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh'];

/** What a family's config.json yields: the architecture it names, the model config, and the tokenizer's BOS convention. */
export interface ParsedConfig {
  architecture: SupportedArchitecture;
  config: ModelConfig;
  bos: BosDefaults;
}

/**
 * Reads and checks a folder's config.json alone, so an unsupported model is refused before
 * its weights are read (or downloaded).
 */
export function readHuggingFaceConfig(folder: string): ParsedConfig {
  const configFile = path.join(folder, 'config.json');
  const raw = readJsonFile(fileInside(folder, 'config.json'));
  const fields = new ConfigFields(raw, configFile);
  const architecture = architectureOf(raw, configFile);
  return architecture === 'GPT2LMHeadModel' ? parseGpt2Config(fields) : parseLlamaFamilyConfig(fields, architecture);
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
  return { architecture: 'GPT2LMHeadModel', config, bos: { addsBos: false } };
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
  return { architecture, config, bos: { addsBos, bosTokenId } };
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

function divide(numerator: number, denominator: number, numeratorKey: string, denominatorKey: string, f: ConfigFields): number {
  if (numerator % denominator !== 0) f.inconsistent(`${numeratorKey} ${numerator} is not a multiple of ${denominatorKey} ${denominator}`);
  return numerator / denominator;
}

