/**
 * Plain float64 loops for the forward pass of GPT-2, Hugging Face Llama/Qwen2 and GPT-NeoX, written
 * straight from the architectures' definitions and sharing no code with the graph builder, so
 * the compiled graph's logits can be checked against an independent implementation.
 */
import type { ModelDescription } from '../../src/model/description';
import { readWeightValues } from './fixtures';

type Matrix = Float64Array[];

function weight(model: ModelDescription, name: string): Float64Array {
  return Float64Array.from(readWeightValues(model.weights[name]));
}

/** x[n×in] · W where W is stored [in, out] (Conv1D) or [out, in] (nn.Linear). */
function project(x: Matrix, w: Float64Array, inFeatures: number, outFeatures: number, stored: 'in-out' | 'out-in', bias?: Float64Array): Matrix {
  return x.map((row) =>
    Float64Array.from({ length: outFeatures }, (_, o) => {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < inFeatures; i++) sum += row[i] * (stored === 'in-out' ? w[i * outFeatures + o] : w[o * inFeatures + i]);
      return sum;
    }),
  );
}

function layerNorm(x: Matrix, gain: Float64Array, bias: Float64Array, eps: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gain[i] + bias[i]);
  });
}

function rmsNorm(x: Matrix, gain: Float64Array, eps: number): Matrix {
  return x.map((row) => {
    const rms = Math.sqrt(row.reduce((a, b) => a + b * b, 0) / row.length + eps);
    return row.map((v, i) => (v / rms) * gain[i]);
  });
}

/** Causal multi-head attention; query head h reads key/value head floor(h / (heads / kvHeads)). */
function attention(q: Matrix, k: Matrix, v: Matrix, heads: number, kvHeads: number, headDim: number): Matrix {
  const n = q.length;
  const out = q.map(() => new Float64Array(heads * headDim));
  for (let h = 0; h < heads; h++) {
    const kv = Math.floor(h / (heads / kvHeads));
    for (let i = 0; i < n; i++) {
      const scores = Array.from({ length: i + 1 }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < headDim; c++) dot += q[i][h * headDim + c] * k[j][kv * headDim + c];
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - max));
      const total = weights.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= i; j++) for (let c = 0; c < headDim; c++) out[i][h * headDim + c] += (weights[j] / total) * v[j][kv * headDim + c];
    }
  }
  return out;
}

const add = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v + b[i][j]));

function logSoftmax(row: Float64Array): Float64Array {
  const max = Math.max(...row);
  const logTotal = Math.log(row.reduce((a, b) => a + Math.exp(b - max), 0)) + max;
  return row.map((v) => v - logTotal);
}

/** Next-token log-probabilities after `ids` from GPT2LMHeadModel's definition. */
export function gpt2LogProbs(model: ModelDescription, ids: number[]): Float64Array {
  const { hiddenSize: d, heads, headDim, intermediateSize: ff, normEps: eps, vocabSize } = model.config;
  const w = (name: string) => weight(model, name);
  const wte = w('wte.weight');
  const wpe = w('wpe.weight');
  let x: Matrix = ids.map((id, i) => Float64Array.from({ length: d }, (_, c) => wte[id * d + c] + wpe[i * d + c]));
  for (let l = 0; l < model.config.layers; l++) {
    const p = `h.${l}.`;
    const qkv = project(layerNorm(x, w(`${p}ln_1.weight`), w(`${p}ln_1.bias`), eps), w(`${p}attn.c_attn.weight`), d, 3 * d, 'in-out', w(`${p}attn.c_attn.bias`));
    const part = (s: number) => qkv.map((row) => row.slice(s * d, (s + 1) * d));
    const attended = attention(part(0), part(1), part(2), heads, heads, headDim);
    x = add(x, project(attended, w(`${p}attn.c_proj.weight`), d, d, 'in-out', w(`${p}attn.c_proj.bias`)));
    const hidden = project(layerNorm(x, w(`${p}ln_2.weight`), w(`${p}ln_2.bias`), eps), w(`${p}mlp.c_fc.weight`), d, ff, 'in-out', w(`${p}mlp.c_fc.bias`));
    const gelu = hidden.map((row) => row.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))));
    x = add(x, project(gelu, w(`${p}mlp.c_proj.weight`), ff, d, 'in-out', w(`${p}mlp.c_proj.bias`)));
  }
  const final = layerNorm(x, w('ln_f.weight'), w('ln_f.bias'), eps);
  return logSoftmax(project([final[final.length - 1]], wte, d, vocabSize, 'out-in')[0]);
}

/** Next-token log-probabilities after `ids` from Hugging Face's Llama/Qwen2 definition (rotate-half RoPE). */
export function llamaLogProbs(model: ModelDescription, ids: number[]): Float64Array {
  const { hiddenSize: d, heads, kvHeads, headDim, intermediateSize: ff, normEps: eps, vocabSize, ropeTheta } = model.config;
  const w = (name: string) => weight(model, name);
  const embed = w('model.embed_tokens.weight');
  const rotate = (m: Matrix, headsIn: number): Matrix => m.map((row, pos) => rotateHalf(row, pos, headsIn, headDim, headDim, ropeTheta));
  let x: Matrix = ids.map((id) => embed.slice(id * d, (id + 1) * d));
  for (let l = 0; l < model.config.layers; l++) {
    const p = `model.layers.${l}.`;
    const normed = rmsNorm(x, w(`${p}input_layernorm.weight`), eps);
    const bias = (name: string) => (model.config.attentionBias ? w(`${p}self_attn.${name}.bias`) : undefined);
    const q = rotate(project(normed, w(`${p}self_attn.q_proj.weight`), d, heads * headDim, 'out-in', bias('q_proj')), heads);
    const k = rotate(project(normed, w(`${p}self_attn.k_proj.weight`), d, kvHeads * headDim, 'out-in', bias('k_proj')), kvHeads);
    const v = project(normed, w(`${p}self_attn.v_proj.weight`), d, kvHeads * headDim, 'out-in', bias('v_proj'));
    x = add(x, project(attention(q, k, v, heads, kvHeads, headDim), w(`${p}self_attn.o_proj.weight`), heads * headDim, d, 'out-in'));
    const m = rmsNorm(x, w(`${p}post_attention_layernorm.weight`), eps);
    const gate = project(m, w(`${p}mlp.gate_proj.weight`), d, ff, 'out-in');
    const up = project(m, w(`${p}mlp.up_proj.weight`), d, ff, 'out-in');
    const act = gate.map((row, i) => row.map((g, j) => (g / (1 + Math.exp(-g))) * up[i][j]));
    x = add(x, project(act, w(`${p}mlp.down_proj.weight`), ff, d, 'out-in'));
  }
  const final = rmsNorm(x, w('model.norm.weight'), eps);
  return logSoftmax(project([final[final.length - 1]], w('lm_head.weight'), d, vocabSize, 'out-in')[0]);
}

/**
 * erf by its everywhere-convergent series of positive terms, (2/√π) e^(−x²) Σ_n 2ⁿ x^(2n+1) / (2n+1)!!
 * (no cancellation; a different method from the graph's Chebyshev erfc), ±1 beyond |x| = 6.
 */
export function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** Next-token log-probabilities after `ids` from Hugging Face's GPTNeoXForCausalLM (modeling_gpt_neox.py). */
export function neoxLogProbs(model: ModelDescription, ids: number[]): Float64Array {
  const { hiddenSize: d, heads, headDim, intermediateSize: ff, normEps: eps, vocabSize, ropeTheta, neox } = model.config;
  const { rotaryDims, parallelResidual, activation } = neox!;
  const w = (name: string) => weight(model, name);
  const embed = w('gpt_neox.embed_in.weight');
  const rotate = (row: Float64Array, pos: number): Float64Array => rotateHalf(row, pos, heads, headDim, rotaryDims, ropeTheta);
  const gelu = (v: number) =>
    activation === 'gelu-erf' ? 0.5 * v * (1 + erf(v / Math.SQRT2)) : 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  let x: Matrix = ids.map((id) => embed.slice(id * d, (id + 1) * d));
  for (let l = 0; l < model.config.layers; l++) {
    const p = `gpt_neox.layers.${l}.`;
    const bias = (name: string) => (model.config.attentionBias ? w(`${p}attention.${name}.bias`) : undefined);
    const qkv = project(layerNorm(x, w(`${p}input_layernorm.weight`), w(`${p}input_layernorm.bias`), eps), w(`${p}attention.query_key_value.weight`), d, 3 * d, 'out-in', bias('query_key_value'));
    // query_key_value's output viewed as [heads, 3 · head_dim]: per head q, then k, then v.
    const part = (s: number) =>
      qkv.map((row) => {
        const out = new Float64Array(d);
        for (let h = 0; h < heads; h++) for (let c = 0; c < headDim; c++) out[h * headDim + c] = row[h * 3 * headDim + s * headDim + c];
        return out;
      });
    const q = part(0).map(rotate);
    const k = part(1).map(rotate);
    const attended = project(attention(q, k, part(2), heads, heads, headDim), w(`${p}attention.dense.weight`), d, d, 'out-in', bias('dense'));
    const afterAttention = add(x, attended);
    const mlpInput = parallelResidual ? x : afterAttention;
    const hidden = project(layerNorm(mlpInput, w(`${p}post_attention_layernorm.weight`), w(`${p}post_attention_layernorm.bias`), eps), w(`${p}mlp.dense_h_to_4h.weight`), d, ff, 'out-in', w(`${p}mlp.dense_h_to_4h.bias`));
    x = add(afterAttention, project(hidden.map((row) => row.map(gelu)), w(`${p}mlp.dense_4h_to_h.weight`), ff, d, 'out-in', w(`${p}mlp.dense_4h_to_h.bias`)));
  }
  const final = layerNorm(x, w('gpt_neox.final_layer_norm.weight'), w('gpt_neox.final_layer_norm.bias'), eps);
  return logSoftmax(project([final[final.length - 1]], w('embed_out.weight'), d, vocabSize, 'out-in')[0]);
}

/**
 * rotate_half rotary embedding of one position's heads, on the first rotaryDims of each head
 * (all of it for Llama), inv_freq = θ^(−2k/rotaryDims); the rest of a head passes through.
 */
function rotateHalf(row: Float64Array, pos: number, heads: number, headDim: number, rotaryDims: number, theta: number): Float64Array {
  const out = Float64Array.from(row);
  for (let h = 0; h < heads; h++) {
    for (let k = 0; k < rotaryDims / 2; k++) {
      const angle = pos * theta ** ((-2 * k) / rotaryDims);
      const a = row[h * headDim + k];
      const b = row[h * headDim + k + rotaryDims / 2];
      out[h * headDim + k] = a * Math.cos(angle) - b * Math.sin(angle);
      out[h * headDim + k + rotaryDims / 2] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }
  return out;
}
