/** The benchmark's GPT-2-small-shaped model (see generatedModel.ts): float32, GPT-2's real tokenizer. */
import { ensureGeneratedModel, type GeneratedModel, type TensorSpec } from './generatedModel';

export const GPT2_SMALL = { layers: 12, hidden: 768, heads: 12, inner: 3072, vocab: 50257, positions: 1024, eps: 1e-5 } as const;

/** Returns the model folder, generating it first when missing or stale. */
export function ensureGpt2Model(dir: string, log: (line: string) => void): GeneratedModel {
  const c = GPT2_SMALL;
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_embd: c.hidden,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: null,
    n_positions: c.positions,
    n_ctx: c.positions,
    layer_norm_epsilon: c.eps,
    vocab_size: c.vocab,
    bos_token_id: c.vocab - 1,
    eos_token_id: c.vocab - 1,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
  const tokenizerConfig = { model_max_length: c.positions, tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' };
  return ensureGeneratedModel(dir, { description: { shape: 'gpt2-small', ...c }, config, tokenizerConfig, tensors: tensorList(), dtype: 'float32' }, log);
}

function tensorList(): TensorSpec[] {
  const { layers, hidden: d, inner, vocab, positions } = GPT2_SMALL;
  const list: TensorSpec[] = [
    { name: 'wte.weight', shape: [vocab, d], init: 'normal' },
    { name: 'wpe.weight', shape: [positions, d], init: 'normal' },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `h.${i}.`;
    list.push(
      { name: `${p}ln_1.weight`, shape: [d], init: 'ones' },
      { name: `${p}ln_1.bias`, shape: [d], init: 'zeros' },
      { name: `${p}attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal' },
      { name: `${p}attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
      { name: `${p}attn.c_proj.weight`, shape: [d, d], init: 'normal' },
      { name: `${p}attn.c_proj.bias`, shape: [d], init: 'zeros' },
      { name: `${p}ln_2.weight`, shape: [d], init: 'ones' },
      { name: `${p}ln_2.bias`, shape: [d], init: 'zeros' },
      { name: `${p}mlp.c_fc.weight`, shape: [d, inner], init: 'normal' },
      { name: `${p}mlp.c_fc.bias`, shape: [inner], init: 'zeros' },
      { name: `${p}mlp.c_proj.weight`, shape: [inner, d], init: 'normal' },
      { name: `${p}mlp.c_proj.bias`, shape: [d], init: 'zeros' },
    );
  }
  list.push({ name: 'ln_f.weight', shape: [d], init: 'ones' }, { name: 'ln_f.bias', shape: [d], init: 'zeros' });
  return list;
}
