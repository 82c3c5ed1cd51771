/**
 * Hugging Face model folders: config.json + safetensors weights + tokenizer.json, for the GPT-2,
 * Llama-family (Llama, Mistral, Qwen2) and GPT-NeoX (Pythia) causal language models the engine
 * can run exactly.
 */
import * as path from 'node:path';
import type { ModelConfig, ModelDescription, WeightRef } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { cacheSnapshotOf } from '../files/cacheSnapshot';
import { readHuggingFaceConfig, type SupportedArchitecture } from './huggingfaceConfig';
import { readSafetensorsFolder } from './safetensors';
import { readHuggingFaceTokenizer, type BosDefaults } from '../tokenizer/huggingface';

/** A folder's config and weights, checked against each other; its tokenizer is not read. */
export interface HuggingFaceWeights extends Pick<ModelDescription, 'config' | 'weights' | 'weightFiles'> {
  architecture: SupportedArchitecture;
  bos: BosDefaults;
}

export function inspectHuggingFace(folder: string): HuggingFaceWeights {
  const parsed = readHuggingFaceConfig(folder);
  const stored = readSafetensorsFolder(folder);
  const names = normalizeNames(stored.weights);
  const config = { ...parsed.config, tiedEmbeddings: isTied(parsed.config, names) };
  const expectedShapes = SHAPES[config.architecture](config);
  const weights = selectWeights(withLmHead(names, config), expectedShapes, folder);
  return { architecture: parsed.architecture, config, weights, weightFiles: stored.files, bos: parsed.bos };
}

export function loadHuggingFace(folder: string): ModelDescription {
  const { config, weights, weightFiles, bos } = inspectHuggingFace(folder);
  const tokenizer = readHuggingFaceTokenizer(folder, bos, config.vocabSize);
  return { name: modelName(folder), source: folder, config, weights, weightFiles, tokenizer };
}

/** A snapshot of the Hugging Face cache is named by its repo (its folder is a commit hash). */
function modelName(folder: string): string {
  return cacheSnapshotOf(folder)?.repoId ?? path.basename(path.resolve(folder));
}

const SHAPES: Record<ModelConfig['architecture'], (c: ModelConfig) => Record<string, number[]>> = { gpt2: gpt2Shapes, llama: llamaShapes, 'gpt-neox': gptNeoxShapes };

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

function gptNeoxShapes(c: ModelConfig): Record<string, number[]> {
  const d = c.hiddenSize;
  const ff = c.intermediateSize;
  const shapes: Record<string, number[]> = { 'gpt_neox.embed_in.weight': [c.vocabSize, d] };
  for (let i = 0; i < c.layers; i++) {
    const layer = `gpt_neox.layers.${i}`;
    // nn.Linear stores [out, in]; query_key_value's 3d rows are [heads, 3 (q, k, v), head_dim].
    Object.assign(shapes, {
      [`${layer}.input_layernorm.weight`]: [d],
      [`${layer}.input_layernorm.bias`]: [d],
      [`${layer}.attention.query_key_value.weight`]: [3 * d, d],
      [`${layer}.attention.dense.weight`]: [d, d],
      [`${layer}.post_attention_layernorm.weight`]: [d],
      [`${layer}.post_attention_layernorm.bias`]: [d],
      [`${layer}.mlp.dense_h_to_4h.weight`]: [ff, d],
      [`${layer}.mlp.dense_h_to_4h.bias`]: [ff],
      [`${layer}.mlp.dense_4h_to_h.weight`]: [d, ff],
      [`${layer}.mlp.dense_4h_to_h.bias`]: [d],
    });
    if (c.attentionBias) Object.assign(shapes, { [`${layer}.attention.query_key_value.bias`]: [3 * d], [`${layer}.attention.dense.bias`]: [d] });
  }
  Object.assign(shapes, { 'gpt_neox.final_layer_norm.weight': [d], 'gpt_neox.final_layer_norm.bias': [d], 'embed_out.weight': [c.vocabSize, d] });
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

/**
 * Tied Llama-family and GPT-NeoX models get an `lm_head.weight` / `embed_out.weight` that refers
 * to the embedding's bytes (a stored copy is not read, as HF ties it to the embedding on load).
 */
function withLmHead(weights: Record<string, WeightRef>, config: ModelConfig): Record<string, WeightRef> {
  if (!config.tiedEmbeddings) return weights;
  if (config.architecture === 'llama') return { ...weights, 'lm_head.weight': weights['model.embed_tokens.weight'] };
  if (config.architecture === 'gpt-neox') return { ...weights, 'embed_out.weight': weights['gpt_neox.embed_in.weight'] };
  return weights;
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
