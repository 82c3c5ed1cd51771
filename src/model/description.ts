import type { Tokenizer } from '../tokenizer/tokenizer';

/**
 * The one internal description every loader produces. Weight names follow Hugging Face
 * conventions (llama2.c checkpoints are mapped onto the Llama names) and keep the layout the
 * file stores: Llama and GPT-NeoX `nn.Linear` weights are [out, in], GPT-2 `Conv1D` weights are [in, out].
 */
export type Architecture = 'llama' | 'gpt2' | 'gpt-neox';

export type WeightDType = 'float32' | 'float16' | 'bfloat16';

export interface WeightRef {
  /** Absolute path of the file holding the tensor's bytes. */
  file: string;
  dtype: WeightDType;
  shape: number[];
  /** Byte offset of the tensor inside `file`. */
  offset: number;
  /** Byte length of the tensor inside `file`. */
  length: number;
}

/**
 * The largest sizes a model may declare: beyond the largest released models by an order of
 * magnitude, and small enough that a corrupt header cannot make the loaders loop for minutes
 * or allocate gigabytes before the file size gives it away. The vocabulary bound is the lens's:
 * its token ids travel as float32, exact below 2^24.
 */
export const MODEL_LIMITS = {
  layers: 1024,
  hiddenSize: 1 << 17,
  intermediateSize: 1 << 20,
  heads: 1024,
  vocabSize: (1 << 24) - 1,
  contextLength: 1 << 24,
} as const;

export interface ModelConfig {
  architecture: Architecture;
  layers: number;
  hiddenSize: number;
  intermediateSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  normEps: number;
  /** Llama family and GPT-NeoX. */
  ropeTheta: number;
  /** llama2.c rotates interleaved pairs (2k, 2k+1); Hugging Face rotates halves (k, k + hd/2). */
  ropeStyle: 'interleaved' | 'rotate-half';
  /** Qwen2 has q/k/v biases; GPT-NeoX has query_key_value and dense biases unless attention_bias is false. */
  attentionBias: boolean;
  tiedEmbeddings: boolean;
  /** GPT-NeoX only. */
  neox?: NeoxBlocks;
}

/** What GPT-NeoX (Pythia) blocks do differently. */
export interface NeoxBlocks {
  /** The leading dims of each head that are rotated (int(rotary_pct · head_dim), even); the rest pass through. */
  rotaryDims: number;
  /** use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x)), so FF1 reads ln2 of the block input; else x' = x + attn(ln1(x)), x' + mlp(ln2(x')). */
  parallelResidual: boolean;
  /** hidden_act: "gelu" (exact, erf; Pythia) or the tanh approximation ("gelu_new", "gelu_pytorch_tanh"). */
  activation: 'gelu-erf' | 'gelu-tanh';
}

export interface ModelDescription {
  /** Human-readable name, e.g. the folder name. */
  name: string;
  /** The folder or file the user pointed at. */
  source: string;
  config: ModelConfig;
  /**
   * Weight tensors by Hugging Face name. Llama: `model.embed_tokens.weight`,
   * `model.layers.{i}.input_layernorm.weight`, `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`,
   * `model.layers.{i}.self_attn.{q,k,v}_proj.bias` (Qwen2), `model.layers.{i}.post_attention_layernorm.weight`,
   * `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, `model.norm.weight`, `lm_head.weight`
   * (present even when tied: then it refers to the embedding's bytes).
   * GPT-2 (without any `transformer.` prefix): `wte.weight`, `wpe.weight`, `h.{i}.ln_1.{weight,bias}`,
   * `h.{i}.attn.c_attn.{weight,bias}`, `h.{i}.attn.c_proj.{weight,bias}`, `h.{i}.ln_2.{weight,bias}`,
   * `h.{i}.mlp.c_fc.{weight,bias}`, `h.{i}.mlp.c_proj.{weight,bias}`, `ln_f.{weight,bias}`.
   * GPT-NeoX: `gpt_neox.embed_in.weight`, `gpt_neox.layers.{i}.input_layernorm.{weight,bias}`,
   * `gpt_neox.layers.{i}.attention.query_key_value.{weight,bias}` (rows grouped by head, q k v
   * within each), `gpt_neox.layers.{i}.attention.dense.{weight,bias}` (no attention biases when
   * attention_bias is false), `gpt_neox.layers.{i}.post_attention_layernorm.{weight,bias}`,
   * `gpt_neox.layers.{i}.mlp.dense_h_to_4h.{weight,bias}`, `gpt_neox.layers.{i}.mlp.dense_4h_to_h.{weight,bias}`,
   * `gpt_neox.final_layer_norm.{weight,bias}`, `embed_out.weight` (the embedding's bytes when tied).
   */
  weights: Record<string, WeightRef>;
  /** Every file the weights live in (one for most models, several for sharded safetensors). */
  weightFiles: string[];
  tokenizer: Tokenizer;
}
