/**
 * Hugging Face config.json files: which architecture a model is, whether the engine can run it
 * exactly (GPT-2, the Llama family: Llama, Mistral, Qwen2, and GPT-NeoX: Pythia), and its sizes.
 */
import * as path from 'node:path';
import { MODEL_LIMITS, type ModelConfig, type NeoxBlocks } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, readJsonFile } from '../files/read';
import type { BosDefaults } from '../tokenizer/huggingface';

export const SUPPORTED_ARCHITECTURES = ['GPT2LMHeadModel', 'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'GPTNeoXForCausalLM'] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** Older or hand-written configs name only `model_type`. */
const ARCHITECTURE_OF_MODEL_TYPE: Record<string, SupportedArchitecture> = {
  gpt2: 'GPT2LMHeadModel',
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  gpt_neox: 'GPTNeoXForCausalLM',
};

const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh'];
/** Hugging Face's names for the GELUs the graph computes exactly: "gelu" is erf's, the others tanh's. */
const NEOX_ACTIVATIONS: Record<string, NeoxBlocks['activation']> = { gelu: 'gelu-erf', gelu_new: 'gelu-tanh', gelu_pytorch_tanh: 'gelu-tanh' };

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
  if (architecture === 'GPT2LMHeadModel') return parseGpt2Config(fields);
  if (architecture === 'GPTNeoXForCausalLM') return parseGptNeoxConfig(fields);
  return parseLlamaFamilyConfig(fields, architecture);
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

  /**
   * A number config.json may hold under several names (a dot reads inside an object): every one
   * present must pass `valid` and all must agree; none present gives `fallback`.
   */
  agreedNumber(keys: string[], fallback: number, valid: (value: number) => boolean, expected: string): number {
    const present = keys.flatMap((key) => {
      const value = key.split('.').reduce<unknown>((object, part) => (object as Record<string, unknown> | null | undefined)?.[part], this.raw);
      if (value === undefined || value === null) return [];
      if (typeof value !== 'number' || !valid(value)) this.failValue(key, value, expected);
      return [{ key, value }];
    });
    const differing = present.find(({ value }) => value !== present[0].value);
    if (differing) this.inconsistent(`"${present[0].key}" is ${present[0].value} but "${differing.key}" is ${differing.value}`);
    return present[0]?.value ?? fallback;
  }

  unsupported(what: string): never {
    throw new ModelLoadError(`${this.file} asks for ${what}, which is not supported; use a model without it.`);
  }

  inconsistent(what: string): never {
    throw new ModelLoadError(`${this.file} is inconsistent: ${what}; fix or re-download config.json.`);
  }

  private fail(key: string, expected: string): never {
    this.failValue(key, this.raw[key], expected);
  }

  private failValue(key: string, value: unknown, expected: string): never {
    throw new ModelLoadError(`${this.file} has "${key}" = ${JSON.stringify(value)}, but it must be ${expected}; fix or re-download config.json.`);
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

function parseLlamaFamilyConfig(f: ConfigFields, architecture: Exclude<SupportedArchitecture, 'GPT2LMHeadModel' | 'GPTNeoXForCausalLM'>): ParsedConfig {
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
    ropeTheta: plainRopeTheta(f),
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
  const share = f.agreedNumber(['partial_rotary_factor', 'rope_parameters.partial_rotary_factor'], 1, (v) => v > 0 && v <= 1, 'a number above 0, at most 1');
  if (share !== 1) f.unsupported(`partial_rotary_factor ${share} (rotary on part of each head; only 1)`);
  if (f.raw.use_sliding_window === true) f.unsupported('sliding-window attention (use_sliding_window true)');
  const window = f.raw.sliding_window;
  if (architecture === 'MistralForCausalLM' && typeof window === 'number' && window < f.positiveInt('max_position_embeddings', MODEL_LIMITS.contextLength)) {
    f.unsupported(`sliding-window attention (sliding_window ${window})`);
  }
  if (architecture === 'LlamaForCausalLM' && f.boolean('attention_bias', false)) f.unsupported('attention_bias');
  if (f.boolean('mlp_bias', false)) f.unsupported('mlp_bias');
}

function parseGptNeoxConfig(f: ConfigFields): ParsedConfig {
  const activationName = String(f.raw.hidden_act ?? 'gelu');
  const activation = NEOX_ACTIVATIONS[activationName];
  if (!activation) f.unsupported(`hidden_act "${activationName}" (only ${Object.keys(NEOX_ACTIVATIONS).join(', ')})`);
  const hidden = f.positiveInt('hidden_size', MODEL_LIMITS.hiddenSize);
  const heads = f.positiveInt('num_attention_heads', MODEL_LIMITS.heads);
  const headDim = divide(hidden, heads, 'hidden_size', 'num_attention_heads', f);
  const { rotaryDims, theta } = neoxRotary(f, headDim);
  const config: ModelConfig = {
    architecture: 'gpt-neox',
    layers: f.positiveInt('num_hidden_layers', MODEL_LIMITS.layers),
    hiddenSize: hidden,
    intermediateSize: f.positiveInt('intermediate_size', MODEL_LIMITS.intermediateSize),
    heads,
    kvHeads: heads,
    headDim,
    vocabSize: f.positiveInt('vocab_size', MODEL_LIMITS.vocabSize),
    contextLength: f.positiveInt('max_position_embeddings', MODEL_LIMITS.contextLength),
    normEps: f.positiveNumber('layer_norm_eps', 1e-5),
    ropeTheta: theta,
    ropeStyle: 'rotate-half',
    attentionBias: f.boolean('attention_bias', true),
    tiedEmbeddings: f.boolean('tie_word_embeddings', false),
    neox: { rotaryDims, parallelResidual: f.boolean('use_parallel_residual', true), activation },
  };
  const bosTokenId = typeof f.raw.bos_token_id === 'number' ? f.raw.bos_token_id : undefined;
  return { architecture: 'GPTNeoXForCausalLM', config, bos: { addsBos: false, bosTokenId } };
}

/**
 * GPT-NeoX's rotary: the base and the rotated share of each head, under the names transformers 4
 * writes (rotary_emb_base, rotary_pct, and their copies rope_theta, partial_rotary_factor) or 5
 * (rope_parameters); those present must agree. Only plain RoPE on an even number of dims runs.
 */
function neoxRotary(f: ConfigFields, headDim: number): { rotaryDims: number; theta: number } {
  const theta = plainRopeTheta(f, ['rotary_emb_base']);
  const share = f.agreedNumber(['rotary_pct', 'partial_rotary_factor', 'rope_parameters.partial_rotary_factor'], 0.25, (v) => v > 0 && v <= 1, 'a number above 0, at most 1');
  // As transformers computes it: int(head_size * rotary_pct).
  const rotaryDims = Math.trunc(headDim * share);
  if (rotaryDims < 2 || rotaryDims % 2 !== 0) f.unsupported(`rotary over ${rotaryDims} of head_dim ${headDim} (rotary_pct ${share}); rotary needs an even number of dims, at least 2`);
  return { rotaryDims, theta };
}

/**
 * The RoPE base, as transformers 4 writes it (rope_theta, or a family's `aliases`) or 5
 * (rope_parameters.rope_theta); those present must agree. Scaled RoPE is refused under either name.
 */
function plainRopeTheta(f: ConfigFields, aliases: string[] = []): number {
  if (f.raw.rope_scaling !== undefined && f.raw.rope_scaling !== null) f.unsupported(`rope_scaling ${JSON.stringify(f.raw.rope_scaling)}`);
  const parameters = f.raw.rope_parameters;
  if (parameters !== undefined && parameters !== null) {
    if (typeof parameters !== 'object' || Array.isArray(parameters)) f.inconsistent('rope_parameters is not an object');
    const ropeType = (parameters as Record<string, unknown>).rope_type ?? 'default';
    if (ropeType !== 'default') f.unsupported(`rope_parameters ${JSON.stringify(parameters)} (only rope_type "default")`);
  }
  return f.agreedNumber([...aliases, 'rope_theta', 'rope_parameters.rope_theta'], 10000, (v) => v > 0, 'a positive number');
}

function divide(numerator: number, denominator: number, numeratorKey: string, denominatorKey: string, f: ConfigFields): number {
  if (numerator % denominator !== 0) f.inconsistent(`${numeratorKey} ${numerator} is not a multiple of ${denominatorKey} ${denominator}`);
  return numerator / denominator;
}

