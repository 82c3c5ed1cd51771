/**
 * llama2.c checkpoints (Karpathy's `run.c` format, e.g. stories260K.bin), mapped onto Hugging Face
 * Llama weight names. Header: seven little-endian int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len); a negative vocab_size means an untied classifier follows the
 * other tensors. Then float32 tensors, stacked over layers, in a fixed order.
 */
import * as path from 'node:path';
import { MODEL_LIMITS, type ModelConfig, type ModelDescription, type WeightRef } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileSize, readBytes } from '../files/read';
import { readLlama2cTokenizer } from '../tokenizer/llama2c';

const HEADER_BYTES = 7 * 4;
const FLOAT_BYTES = 4;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** True when vocab_size was positive: the classifier reuses the token embedding. */
  tiedClassifier: boolean;
}

export function loadLlama2c(checkpoint: string, tokenizerFile: string): ModelDescription {
  const header = readLlama2cHeader(checkpoint);
  const totalBytes = llama2cFileBytes(header);
  const size = fileSize(checkpoint);
  if (size !== totalBytes) {
    throw new ModelLoadError(
      `The llama2.c checkpoint ${checkpoint} is ${size} bytes but its header (dim ${header.dim}, ${header.layers} layers, vocab ${header.vocabSize}) implies ${totalBytes}; the file is ${size < totalBytes ? 'truncated' : 'corrupt or not a llama2.c checkpoint'}, re-download or re-export it.`,
    );
  }
  const weights = llama2cWeights(checkpoint, header);
  const tokenizer = readLlama2cTokenizer(tokenizerFile);
  if (tokenizer.vocabSize !== header.vocabSize) {
    throw new ModelLoadError(
      `The tokenizer ${tokenizerFile} has ${tokenizer.vocabSize} tokens but the checkpoint ${checkpoint} expects ${header.vocabSize}; use the tokenizer the checkpoint was trained with.`,
    );
  }
  return {
    name: path.basename(checkpoint, path.extname(checkpoint)),
    source: checkpoint,
    config: llama2cConfig(header),
    weights,
    weightFiles: [checkpoint],
    tokenizer,
  };
}

export function readLlama2cHeader(file: string): Llama2cHeader {
  const bytes = readBytes(file, 0, HEADER_BYTES);
  if (bytes.length < HEADER_BYTES) {
    throw new ModelLoadError(`The llama2.c checkpoint ${file} is shorter than its ${HEADER_BYTES}-byte header; re-download or re-export it.`);
  }
  const [dim, hiddenDim, layers, heads, kvHeads, signedVocab, seqLen] = Array.from({ length: 7 }, (_, i) => bytes.readInt32LE(4 * i));
  const header = { dim, hiddenDim, layers, heads, kvHeads, vocabSize: Math.abs(signedVocab), seqLen, tiedClassifier: signedVocab > 0 };
  const problem = headerProblem(header);
  if (problem) {
    throw new ModelLoadError(`${file} is not a valid llama2.c checkpoint (${problem}); point at a checkpoint exported by llama2.c's export script.`);
  }
  return header;
}

function headerProblem(h: Llama2cHeader): string | undefined {
  const fields = {
    dim: [h.dim, MODEL_LIMITS.hiddenSize],
    hidden_dim: [h.hiddenDim, MODEL_LIMITS.intermediateSize],
    n_layers: [h.layers, MODEL_LIMITS.layers],
    n_heads: [h.heads, MODEL_LIMITS.heads],
    n_kv_heads: [h.kvHeads, MODEL_LIMITS.heads],
    vocab_size: [h.vocabSize, MODEL_LIMITS.vocabSize],
    seq_len: [h.seqLen, MODEL_LIMITS.contextLength],
  };
  const bad = Object.entries(fields).find(([, [value]]) => !(value > 0));
  if (bad) return `header field ${bad[0]} is ${bad[1][0]}`;
  const huge = Object.entries(fields).find(([, [value, limit]]) => value > limit);
  if (huge) return `header field ${huge[0]} is ${huge[1][0]}, more than any model has (at most ${huge[1][1]})`;
  if (h.dim % h.heads !== 0) return `dim ${h.dim} is not divisible by n_heads ${h.heads}`;
  if (h.heads % h.kvHeads !== 0) return `n_heads ${h.heads} is not divisible by n_kv_heads ${h.kvHeads}`;
  if ((h.dim / h.heads) % 2 !== 0) return `head size ${h.dim / h.heads} is odd, so rotary pairs cannot be formed`;
  return undefined;
}

function llama2cConfig(h: Llama2cHeader): ModelConfig {
  return {
    architecture: 'llama',
    layers: h.layers,
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    heads: h.heads,
    kvHeads: h.kvHeads,
    headDim: h.dim / h.heads,
    vocabSize: h.vocabSize,
    contextLength: h.seqLen,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'interleaved',
    attentionBias: false,
    tiedEmbeddings: h.tiedClassifier,
  };
}

/** The checkpoint's size as its header implies, computed before any per-layer work so a corrupt header is refused at once. */
export function llama2cFileBytes(h: Llama2cHeader): number {
  const headDim = h.dim / h.heads;
  const kvDim = h.kvHeads * headDim;
  const perLayer = 2 * h.dim + 2 * h.dim * h.dim + 2 * kvDim * h.dim + 3 * h.hiddenDim * h.dim;
  const classifier = h.tiedClassifier ? 0 : h.vocabSize * h.dim;
  return HEADER_BYTES + FLOAT_BYTES * (h.vocabSize * h.dim + h.layers * perLayer + h.dim + h.seqLen * headDim + classifier);
}

/** WeightRefs for every tensor, in file order. */
export function llama2cWeights(file: string, h: Llama2cHeader): Record<string, WeightRef> {
  const weights: Record<string, WeightRef> = {};
  let offset = HEADER_BYTES;
  const take = (shape: number[]): WeightRef => {
    const length = shape.reduce((a, b) => a * b, 1) * FLOAT_BYTES;
    const ref: WeightRef = { file, dtype: 'float32', shape, offset, length };
    offset += length;
    return ref;
  };
  /** One tensor stacked over layers ([L, ...shape]) becomes one WeightRef per layer. */
  const takePerLayer = (name: string, shape: number[]): void => {
    for (let i = 0; i < h.layers; i++) weights[`model.layers.${i}.${name}`] = take(shape);
  };
  const kvDim = h.kvHeads * (h.dim / h.heads);
  weights['model.embed_tokens.weight'] = take([h.vocabSize, h.dim]);
  takePerLayer('input_layernorm.weight', [h.dim]);
  takePerLayer('self_attn.q_proj.weight', [h.dim, h.dim]);
  takePerLayer('self_attn.k_proj.weight', [kvDim, h.dim]);
  takePerLayer('self_attn.v_proj.weight', [kvDim, h.dim]);
  takePerLayer('self_attn.o_proj.weight', [h.dim, h.dim]);
  takePerLayer('post_attention_layernorm.weight', [h.dim]);
  takePerLayer('mlp.gate_proj.weight', [h.hiddenDim, h.dim]);
  takePerLayer('mlp.down_proj.weight', [h.dim, h.hiddenDim]);
  takePerLayer('mlp.up_proj.weight', [h.hiddenDim, h.dim]);
  weights['model.norm.weight'] = take([h.dim]);
  take([h.seqLen, h.dim / h.heads]); // legacy rotary tables (cos and sin halves): recomputed, never read
  weights['lm_head.weight'] = h.tiedClassifier ? weights['model.embed_tokens.weight'] : take([h.vocabSize, h.dim]);
  return weights;
}
