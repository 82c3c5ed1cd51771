/**
 * Forward passes of the supported architectures over one sequence, recording at every layer the
 * tensors Backward Lens reads: the FF1 input x_i, the FF1 outputs, the FF2 input h_i and the
 * FF2 output (whose VJP is δ_i).
 */
import type { ModelConfig } from '../../model/description';
import type { Precision } from '../../result/schema';
import { Graph, Tensor } from '../graph';
import * as op from '../ops';
import * as nn from '../nn';
import { arange, dimOf, gather } from '../plain';

export interface MlpTaps {
  /** FF1 input x_i [T, d]. */
  ff1Input: Tensor;
  /** FF1 outputs [T, d_ff]: GPT-2 c_fc; Llama gate_proj and up_proj (one fused FF1 reading x). */
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

/** A layer's MLP weights by Hugging Face name: FF1 (GPT-2 c_fc; Llama gate_proj, up_proj) and FF2. */
export function mlpWeightNames(config: ModelConfig, layer: number): { ff1: string[]; ff2: string } {
  if (config.architecture === 'gpt2') return { ff1: [`h.${layer}.mlp.c_fc.weight`], ff2: `h.${layer}.mlp.c_proj.weight` };
  const p = `model.layers.${layer}.mlp.`;
  return { ff1: [`${p}gate_proj.weight`, `${p}up_proj.weight`], ff2: `${p}down_proj.weight` };
}

/**
 * `matmuls` is the precision of the blocks' weight matmuls (float16: GPU tensor cores); norms,
 * attention scores, the residual stream and the LM head stay in the weights' compute dtype.
 * `updates` adds W' = W + Pᵀ Q to MLP weights without touching W (edits, finite differences).
 */
export function forward(g: Graph, config: ModelConfig, weight: WeightSource, inputIds: Tensor, matmuls: Precision, updates: MlpUpdates = () => undefined): ForwardPass {
  return config.architecture === 'gpt2' ? gpt2(g, config, weight, inputIds, matmuls, updates) : llama(g, config, weight, inputIds, matmuls, updates);
}

/** The weight holding the unembedding D (GPT-2 ties it to the token embedding). */
export const unembeddingName = (config: ModelConfig) => (config.architecture === 'gpt2' ? 'wte.weight' : 'lm_head.weight');

export function outputHead(g: Graph, config: ModelConfig, w: WeightSource): OutputHead {
  const unembedding = w(unembeddingName(config));
  if (config.architecture === 'gpt2') {
    return { finalNorm: (v) => nn.layerNorm(g, v, w('ln_f.weight'), w('ln_f.bias'), config.normEps), unembedding };
  }
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
