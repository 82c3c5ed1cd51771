/**
 * Forward passes of the supported architectures over one sequence, recording at every layer the
 * tensors Backward Lens reads: the FF1 input x_i, the FF1 outputs, the FF2 input h_i and the
 * FF2 output (whose VJP is δ_i).
 */
import type { ModelConfig, NeoxBlocks } from '../../model/description';
import type { Precision } from '../../result/schema';
import { Graph, Tensor } from '../graph';
import * as op from '../ops';
import * as nn from '../nn';
import { arange, dimOf, gather } from '../plain';

export interface MlpTaps {
  /** FF1 input x_i [T, d]. */
  ff1Input: Tensor;
  /** FF1 outputs [T, d_ff]: GPT-2 c_fc; Llama gate_proj and up_proj (one fused FF1 reading x); GPT-NeoX dense_h_to_4h. */
  ff1Outputs: Tensor[];
  /** FF2 input h_i [T, d_ff]. */
  ff2Input: Tensor;
  /** FF2 output [T, d]. */
  ff2Output: Tensor;
}

export interface OutputHead {
  /** The model's final norm: logits = finalNorm(h) · Dᵀ, and the lens LL(v) = softmax(finalNorm(v) · Dᵀ). */
  finalNorm: (v: Tensor) => Tensor;
  /** The unembedding D, [vocab, d]. */
  unembedding: Tensor;
}

export interface ForwardPass extends OutputHead {
  /** The residual stream after the last layer, [T, d], before the final norm. */
  finalResidual: Tensor;
  layers: MlpTaps[];
}

/** Weights by Hugging Face name, already in the compute dtype. */
export type WeightSource = (name: string) => Tensor;

/** The low-rank update factors added to an MLP weight, by its Hugging Face name (undefined: none). */
export type MlpUpdates = (weightName: string) => nn.LowRankUpdate | undefined;

/** A layer's MLP weights by Hugging Face name: FF1 (GPT-2 c_fc; Llama gate_proj, up_proj; GPT-NeoX dense_h_to_4h) and FF2. */
export function mlpWeightNames(config: ModelConfig, layer: number): { ff1: string[]; ff2: string } {
  if (config.architecture === 'gpt2') return { ff1: [`h.${layer}.mlp.c_fc.weight`], ff2: `h.${layer}.mlp.c_proj.weight` };
  if (config.architecture === 'gpt-neox') {
    const p = `gpt_neox.layers.${layer}.mlp.`;
    return { ff1: [`${p}dense_h_to_4h.weight`], ff2: `${p}dense_4h_to_h.weight` };
  }
  const p = `model.layers.${layer}.mlp.`;
  return { ff1: [`${p}gate_proj.weight`, `${p}up_proj.weight`], ff2: `${p}down_proj.weight` };
}

/**
 * `matmuls` is the precision of the blocks' weight matmuls (float16: GPU tensor cores); norms,
 * attention scores, the residual stream and the LM head stay in the weights' compute dtype.
 * `updates` adds W' = W + Pᵀ Q to MLP weights without touching W (edits, finite differences).
 */
export function forward(g: Graph, config: ModelConfig, weight: WeightSource, inputIds: Tensor, matmuls: Precision, updates: MlpUpdates = () => undefined): ForwardPass {
  const model = { gpt2, llama, 'gpt-neox': gptNeox }[config.architecture];
  return model(g, config, weight, inputIds, matmuls, updates);
}

/** The weight holding the unembedding D (GPT-2 ties it to the token embedding; tied Llama and GPT-NeoX alias theirs to it). */
export const unembeddingName = (config: ModelConfig) => ({ gpt2: 'wte.weight', llama: 'lm_head.weight', 'gpt-neox': 'embed_out.weight' })[config.architecture];

export function outputHead(g: Graph, config: ModelConfig, w: WeightSource): OutputHead {
  const unembedding = w(unembeddingName(config));
  const layerNorm = (prefix: string) => (v: Tensor) => nn.layerNorm(g, v, w(`${prefix}.weight`), w(`${prefix}.bias`), config.normEps);
  if (config.architecture === 'gpt2') return { finalNorm: layerNorm('ln_f'), unembedding };
  if (config.architecture === 'gpt-neox') return { finalNorm: layerNorm('gpt_neox.final_layer_norm'), unembedding };
  return { finalNorm: (v) => nn.rmsNorm(g, v, w('model.norm.weight'), config.normEps), unembedding };
}

function llama(g: Graph, config: ModelConfig, w: WeightSource, inputIds: Tensor, matmuls: Precision, updates: MlpUpdates): ForwardPass {
  const { heads, kvHeads, headDim, normEps } = config;
  let x = g.gradientSource(gather(g, w('model.embed_tokens.weight'), inputIds));
  const { cos, sin } = nn.rotaryAngles(g, x, headDim, config.ropeTheta);
  const maskBias = nn.causalMaskBias(g, x);
  const layers: MlpTaps[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}.`;
    const bias = (name: string) => (config.attentionBias ? w(`${p}self_attn.${name}.bias`) : undefined);
    const project = (input: Tensor, name: string) => nn.linearWithBias(g, input, w(`${p}self_attn.${name}.weight`), bias(name), true, matmuls);

    const normed = nn.rmsNorm(g, x, w(`${p}input_layernorm.weight`), normEps);
    const rotate = (t: Tensor) => nn.applyRotary(g, t, cos, sin, config.ropeStyle);
    const q = rotate(nn.splitHeads(g, project(normed, 'q_proj'), heads, headDim));
    const k = rotate(nn.splitHeads(g, project(normed, 'k_proj'), kvHeads, headDim));
    const v = nn.splitHeads(g, project(normed, 'v_proj'), kvHeads, headDim);
    const attention = nn.causalAttention(g, q, nn.repeatKv(g, k, heads), nn.repeatKv(g, v, heads), maskBias);
    x = op.add(g, x, nn.linearAt(g, nn.mergeHeads(g, attention), w(`${p}self_attn.o_proj.weight`), true, matmuls));

    const mlp = (input: Tensor, name: string) => nn.plusLowRank(g, nn.linearAt(g, input, w(name), true, matmuls), input, updates(name));
    const names = mlpWeightNames(config, l);
    const ff1Input = nn.rmsNorm(g, x, w(`${p}post_attention_layernorm.weight`), normEps);
    const [gate, up] = names.ff1.map((name) => mlp(ff1Input, name));
    const ff2Input = nn.swiGlu(g, gate, up);
    const ff2Output = mlp(ff2Input, names.ff2);
    x = op.add(g, x, ff2Output);
    layers.push({ ff1Input, ff1Outputs: [gate, up], ff2Input, ff2Output });
  }
  return { finalResidual: x, layers, ...outputHead(g, config, w) };
}

function gpt2(g: Graph, config: ModelConfig, w: WeightSource, inputIds: Tensor, matmuls: Precision, updates: MlpUpdates): ForwardPass {
  const { heads, headDim, hiddenSize, normEps } = config;
  const tokens = gather(g, w('wte.weight'), inputIds);
  let x = g.gradientSource(op.add(g, tokens, gather(g, w('wpe.weight'), arange(g, dimOf(g, inputIds, 0), 'int64', inputIds.shape[0]))));
  const maskBias = nn.causalMaskBias(g, x);
  const layers: MlpTaps[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `h.${l}.`;
    const conv1d = (input: Tensor, name: string) => nn.linearWithBias(g, input, w(`${p}${name}.weight`), w(`${p}${name}.bias`), false, matmuls);
    const mlp = (input: Tensor, name: string) => nn.plusLowRank(g, conv1d(input, name), input, updates(`${p}${name}.weight`));
    const norm = (input: Tensor, name: string) => nn.layerNorm(g, input, w(`${p}${name}.weight`), w(`${p}${name}.bias`), normEps);

    const qkv = conv1d(norm(x, 'ln_1'), 'attn.c_attn');
    const [q, k, v] = op.split(g, qkv, 1, [hiddenSize, hiddenSize, hiddenSize]).map((t) => nn.splitHeads(g, t, heads, headDim));
    x = op.add(g, x, conv1d(nn.mergeHeads(g, nn.causalAttention(g, q, k, v, maskBias)), 'attn.c_proj'));

    const ff1Input = norm(x, 'ln_2');
    const ff1Output = mlp(ff1Input, 'mlp.c_fc');
    const ff2Input = nn.geluTanh(g, ff1Output);
    const ff2Output = mlp(ff2Input, 'mlp.c_proj');
    x = op.add(g, x, ff2Output);
    layers.push({ ff1Input, ff1Outputs: [ff1Output], ff2Input, ff2Output });
  }
  return { finalResidual: x, layers, ...outputHead(g, config, w) };
}

/**
 * GPT-NeoX (Pythia): LayerNorms with biases, one fused query_key_value whose rows are grouped by
 * head (q, k, v inside each), rotary on the first rotaryDims of each head, and with
 * use_parallel_residual attention and MLP both reading the block input:
 *   parallel:   x ← x + attn(ln1(x)) + mlp(ln2(x))
 *   sequential: x' = x + attn(ln1(x)), x ← x' + mlp(ln2(x'))
 * so x_i, FF1's input, is ln2 of the block input or of x'.
 */
function gptNeox(g: Graph, config: ModelConfig, w: WeightSource, inputIds: Tensor, matmuls: Precision, updates: MlpUpdates): ForwardPass {
  const { heads, headDim, normEps } = config;
  const { rotaryDims, parallelResidual, activation } = neoxBlocks(config);
  let x = g.gradientSource(gather(g, w('gpt_neox.embed_in.weight'), inputIds));
  const { cos, sin } = nn.rotaryAngles(g, x, rotaryDims, config.ropeTheta);
  const maskBias = nn.causalMaskBias(g, x);
  const gelu = activation === 'gelu-erf' ? nn.geluErf : nn.geluTanh;
  const layers: MlpTaps[] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `gpt_neox.layers.${l}.`;
    const attentionLinear = (input: Tensor, name: string) =>
      nn.linearWithBias(g, input, w(`${p}attention.${name}.weight`), config.attentionBias ? w(`${p}attention.${name}.bias`) : undefined, true, matmuls);
    const mlp = (input: Tensor, name: string) =>
      nn.plusLowRank(g, nn.linearWithBias(g, input, w(`${p}mlp.${name}.weight`), w(`${p}mlp.${name}.bias`), true, matmuls), input, updates(`${p}mlp.${name}.weight`));
    const norm = (input: Tensor, name: string) => nn.layerNorm(g, input, w(`${p}${name}.weight`), w(`${p}${name}.bias`), normEps);

    const qkv = nn.splitHeads(g, attentionLinear(norm(x, 'input_layernorm'), 'query_key_value'), heads, 3 * headDim);
    const [q, k, v] = op.split(g, qkv, 2, [headDim, headDim, headDim]);
    const rotate = (t: Tensor) => nn.applyPartialRotary(g, t, cos, sin, config.ropeStyle, rotaryDims);
    const attended = attentionLinear(nn.mergeHeads(g, nn.causalAttention(g, rotate(q), rotate(k), v, maskBias)), 'dense');
    const afterAttention = op.add(g, x, attended);

    const ff1Input = norm(parallelResidual ? x : afterAttention, 'post_attention_layernorm');
    const ff1Output = mlp(ff1Input, 'dense_h_to_4h');
    const ff2Input = gelu(g, ff1Output);
    const ff2Output = mlp(ff2Input, 'dense_4h_to_h');
    x = op.add(g, afterAttention, ff2Output);
    layers.push({ ff1Input, ff1Outputs: [ff1Output], ff2Input, ff2Output });
  }
  return { finalResidual: x, layers, ...outputHead(g, config, w) };
}

function neoxBlocks(config: ModelConfig): NeoxBlocks {
  if (!config.neox) throw new Error('a GPT-NeoX config without its block settings');
  return config.neox;
}
