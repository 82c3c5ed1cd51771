/**
 * The benchmark's Llama-shaped models (see generatedModel.ts), in any weight dtype, with GPT-2's
 * real tokenizer and tied embeddings. LLAMA_1B is the shape of issue 10's measurements: 1.07B
 * parameters, d = 2048, 16 layers, 32 heads with 8 KV heads, d_ff = 8192.
 */
import { ensureGeneratedModel, type GeneratedDType, type GeneratedModel, type TensorSpec } from './generatedModel';

export interface LlamaShape {
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  positions: number;
}

export const LLAMA_1B: LlamaShape = { name: 'llama-1b', layers: 16, hidden: 2048, heads: 32, kvHeads: 8, intermediate: 8192, vocab: 50257, positions: 2048 };

export function ensureLlamaModel(dir: string, shape: LlamaShape, dtype: GeneratedDType, log: (line: string) => void): GeneratedModel {
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    vocab_size: shape.vocab,
    max_position_embeddings: shape.positions,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    hidden_act: 'silu',
    tie_word_embeddings: true,
    bos_token_id: shape.vocab - 1,
    eos_token_id: shape.vocab - 1,
    torch_dtype: dtype,
  };
  const tokenizerConfig = { model_max_length: shape.positions, tokenizer_class: 'GPT2Tokenizer', add_bos_token: false, bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' };
  return ensureGeneratedModel(dir, { description: { ...shape }, config, tokenizerConfig, tensors: tensorList(shape), dtype }, log);
}

function tensorList(s: LlamaShape): TensorSpec[] {
  const d = s.hidden;
  const headDim = d / s.heads;
  const kv = s.kvHeads * headDim;
  const list: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocab, d], init: 'normal' }];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    list.push(
      { name: `${p}input_layernorm.weight`, shape: [d], init: 'ones' },
      { name: `${p}self_attn.q_proj.weight`, shape: [d, d], init: 'normal' },
      { name: `${p}self_attn.k_proj.weight`, shape: [kv, d], init: 'normal' },
      { name: `${p}self_attn.v_proj.weight`, shape: [kv, d], init: 'normal' },
      { name: `${p}self_attn.o_proj.weight`, shape: [d, d], init: 'normal' },
      { name: `${p}post_attention_layernorm.weight`, shape: [d], init: 'ones' },
      { name: `${p}mlp.gate_proj.weight`, shape: [s.intermediate, d], init: 'normal' },
      { name: `${p}mlp.up_proj.weight`, shape: [s.intermediate, d], init: 'normal' },
      { name: `${p}mlp.down_proj.weight`, shape: [d, s.intermediate], init: 'normal' },
    );
  }
  list.push({ name: 'model.norm.weight', shape: [d], init: 'ones' });
  return list;
}
