/**
 * The two graphs the engine runs. The gradient graph: forward pass, loss, reverse-mode backward
 * pass, the factors x_i, h_i, δ_i, FF1 VJPs and their Gram matrices. The lens graph: LL(v) for a
 * block of vectors, reduced in the graph to top-k/bottom-k, norms and target ranks, so the
 * [block × vocabulary] logits never reach JavaScript and memory stays bounded by the block size.
 */
import type { ModelDescription } from '../model/description';
import type { Precision } from '../result/schema';
import { backward } from './autodiff';
import { DType, Graph, Tensor } from './graph';
import { forward, ForwardPass, outputHead, unembeddingName } from './models/transformer';
import * as op from './ops';
import * as plain from './plain';

export type ComputeDType = 'float32' | 'float64';

/**
 * Where a graph reads the unembedding D. 'initializer': a slice of the weight file, like every
 * other weight (a GPU session keeps it on the device). 'input': fed on every run from one float32
 * buffer the engine holds, as IO.unembedding and, for the lens, one view per vocabulary chunk
 * (unembeddingChunkName). On the CPU that keeps a single copy of D for both sessions: as
 * initializers, the gradient session maps D and the lens session keeps a prepacked copy of it.
 */
export type UnembeddingSource = 'initializer' | 'input';

/** The lens input holding D's rows [first, first + chunk size). */
export const unembeddingChunkName = (first: number) => `unembedding_${first}`;

export interface LensGraphOptions {
  computeDType: ComputeDType;
  /** L2-normalise every vector before the lens (the paper's optional variant). */
  normalized: boolean;
  /** float16: the projection GEMM reads half-precision vectors and unembedding (GPU tensor cores); the reductions stay in computeDType. */
  projection: Precision;
  unembedding: UnembeddingSource;
}

/** External data locations are `weights-<i>.bin`, i indexing `description.weightFiles`. */
export const weightFileLocation = (index: number) => `weights-${index}.bin`;

/** Names of the graph's inputs and outputs, shared with the session code that feeds and reads them. */
export const IO = {
  inputIds: 'input_ids',
  scoredPositions: 'scored_positions',
  targetIds: 'target_ids',
  lossWeights: 'loss_weights',
  predictIndex: 'predict_index',
  lensVectors: 'lens_vectors',
  lensRankIds: 'lens_rank_ids',
  unembedding: 'unembedding',
  topK: 'top_k',
  loss: 'loss',
  predictionIds: 'prediction_ids',
  predictionLogProbs: 'prediction_logprobs',
  topIds: 'lens_top_ids',
  topLogProbs: 'lens_top_logprobs',
  bottomIds: 'lens_bottom_ids',
  bottomLogProbs: 'lens_bottom_logprobs',
  norms: 'lens_norms',
  targetRanks: 'lens_target_ranks',
  gramFf1Input: 'gram_ff1_input',
  gramFf1Vjp: 'gram_ff1_vjp',
  gramFf2Input: 'gram_ff2_input',
  gramFf2Vjp: 'gram_ff2_vjp',
  ff1Input: 'ff1_input',
  ff1Vjp: 'ff1_vjp',
  ff2Input: 'ff2_input',
  ff2Vjp: 'ff2_vjp',
} as const;

const SEQ = 'T';
/** Positions whose next-token distribution is needed: those carrying loss, and the prediction's. */
const SCORED = 'S';
const BLOCK = 'rows';

export interface GradientGraphOptions {
  /**
   * Also output the FF1 VJPs and the FF2 inputs h_i themselves (the whole-model gradient tests
   * rebuild ∂L/∂W from them). The engine reads only their Gram matrices, and onnxruntime computes
   * every graph output whether fetched or not, so they are left out by default.
   */
  factorOutputs?: boolean;
  /** Precision of the blocks' weight matmuls (see `forward`); default float32. */
  matmuls?: Precision;
  /** Default: initializer. */
  unembedding?: UnembeddingSource;
}

export function buildGradientGraph(model: ModelDescription, dtype: ComputeDType, options: GradientGraphOptions = {}): Graph {
  const g = new Graph();
  const inputs = lossInputs(g, dtype);
  const topK = g.input(IO.topK, 'int64', [1]);

  const pass = forward(g, model.config, weightSource(g, model, dtype, options.unembedding ?? 'initializer'), inputs.inputIds, options.matmuls ?? 'float32');
  const { logProbs, loss } = scoredLoss(g, pass, inputs, model.config.vocabSize);
  g.output(loss, IO.loss);
  emitPrediction(g, logProbs, inputs.predictIndex, topK);

  const grads = backward(g, loss);
  const gradOf = (t: Tensor) => {
    const grad = grads.get(t);
    if (!grad) throw new Error(`no gradient reaches ${t.name}`);
    return grad;
  };
  const layers = pass.layers.map((l) => ({
    ff1Input: l.ff1Input,
    ff1Vjp: l.ff1Outputs.length === 1 ? gradOf(l.ff1Outputs[0]) : op.concat(g, l.ff1Outputs.map(gradOf), 1),
    ff2Input: l.ff2Input,
    ff2Vjp: gradOf(l.ff2Output),
  }));
  const stack = (pick: (layer: (typeof layers)[number]) => Tensor) => stackLayers(g, layers.map(pick));
  g.output(stack((l) => l.ff1Input), IO.ff1Input);
  g.output(stack((l) => l.ff2Vjp), IO.ff2Vjp);
  // Each layer's Grams straight from its factors, so its [T, d_ff] tensors can be freed there.
  g.output(stack((l) => gram(g, l.ff1Vjp)), IO.gramFf1Vjp);
  g.output(stack((l) => gram(g, l.ff2Vjp)), IO.gramFf2Vjp);
  if (options.factorOutputs) {
    g.output(stack((l) => l.ff1Vjp), IO.ff1Vjp);
    g.output(stack((l) => l.ff2Input), IO.ff2Input);
  }
  // onnxruntime orders the nodes by a depth-first walk back from the leaves, latest-emitted
  // first. Emitted last, and layer 0's first in reverse, the Grams of forward tensors are
  // reached first, each right after its own layer: h_i [T, d_ff] is freed there instead of
  // staying alive through the whole backward pass.
  const forwardGrams = (pick: (layer: (typeof layers)[number]) => Tensor) => layers.map(pick).reverse().map((t) => gram(g, t)).reverse();
  g.output(stackLayers(g, forwardGrams((l) => l.ff1Input)), IO.gramFf1Input);
  g.output(stackLayers(g, forwardGrams((l) => l.ff2Input)), IO.gramFf2Input);
  return g;
}

export interface LossInputs {
  inputIds: Tensor;
  scoredPositions: Tensor;
  targetIds: Tensor;
  lossWeights: Tensor;
  /** Which scored row is the predicted position's. */
  predictIndex: Tensor;
}

/** The inputs of a forward pass with a loss (fed by gradientPass.ts's lossFeeds). */
export function lossInputs(g: Graph, dtype: ComputeDType): LossInputs {
  return {
    inputIds: g.input(IO.inputIds, 'int64', [SEQ]),
    scoredPositions: g.input(IO.scoredPositions, 'int64', [SCORED]),
    targetIds: g.input(IO.targetIds, 'int64', [SCORED]),
    lossWeights: g.input(IO.lossWeights, dtype, [SCORED]),
    predictIndex: g.input(IO.predictIndex, 'int64', [1]),
  };
}

/** The scored rows' logits and log-probabilities, and the loss over them. */
export function scoredLoss(g: Graph, pass: ForwardPass, inputs: LossInputs, vocabSize: number): { logits: Tensor; logProbs: Tensor; loss: Tensor } {
  const scored = selectRows(g, pass.finalResidual, inputs.scoredPositions);
  const logits = op.linear(g, pass.finalNorm(scored), pass.unembedding, true);
  const logProbs = op.logSoftmax(g, logits);
  return { logits, logProbs, loss: weightedNll(g, logProbs, inputs.targetIds, inputs.lossWeights, vocabSize) };
}

/**
 * Vocabulary columns per lens chunk, at most. The lens multiplies by D one chunk of columns at a
 * time and reduces each [rows × chunk] block of logits (top-k, bottom-k, log Σ exp, rank counts)
 * right away, so the whole [rows × V] matrix never exists: memory stays at a few MB per block
 * whatever the vocabulary.
 */
export const LENS_VOCAB_CHUNK = 4096;

/** The most tokens a lens cell reports on each side; every vocabulary chunk is at least this wide. */
export const MAX_LENS_TOP_K = 256;

/** Column ranges covering the vocabulary in chunks of equal width (the last one a little narrower). */
export function vocabChunks(vocabSize: number): { first: number; size: number }[] {
  const size = Math.ceil(vocabSize / Math.ceil(vocabSize / LENS_VOCAB_CHUNK));
  const chunks: { first: number; size: number }[] = [];
  for (let first = 0; first < vocabSize; first += size) chunks.push({ first, size: Math.min(size, vocabSize - first) });
  return chunks;
}

/**
 * LL(v) = softmax(ln_f(v) · Dᵀ) for a block of vectors v (rows of `lens_vectors`), reduced to
 * top-k/bottom-k log-probabilities, ‖v‖ and the rank of each row's `lens_rank_ids` token, one
 * vocabulary chunk at a time (see LENS_VOCAB_CHUNK) and merged exactly: top-k of the chunks'
 * top-k, log Σ exp of the chunks' log Σ exp, sums of the chunks' counts. k ≤ MAX_LENS_TOP_K.
 */
export function buildLensGraph(model: ModelDescription, options: LensGraphOptions): Graph {
  const g = new Graph();
  const { hiddenSize: width, vocabSize } = model.config;
  if (vocabSize >= 2 ** 24) throw new Error(`a vocabulary of ${vocabSize} tokens is too large for the lens (token ids travel as float32)`);
  const vectors = g.input(IO.lensVectors, options.computeDType, [BLOCK, width]);
  const rankIds = g.input(IO.lensRankIds, 'int64', [BLOCK]);
  const k = g.input(IO.topK, 'int64', [1]);
  const head = outputHead(g, model.config, weightSource(g, model, options.computeDType, options.unembedding));

  const norms = plain.reduceL2(g, vectors);
  g.output(norms, IO.norms);
  // A zero vector (δ where no loss reaches) stays zero instead of dividing by zero.
  const lensInput = options.normalized ? op.div(g, vectors, op.add(g, norms, g.scalar(1e-30, vectors.dtype))) : vectors;
  // The projection's operands, rounded to half precision when asked: the rank token's logit below
  // is computed from the same rounded values, so it agrees with the GEMM's to rounding.
  const toProjection = (t: Tensor) => (options.projection === 'float16' ? plain.castPlain(g, plain.castPlain(g, t, 'float16'), t.dtype) : t);
  const normed = toProjection(head.finalNorm(lensInput));
  const rankColumn = plain.unsqueeze(g, rankIds, 1);
  // The rank token's logit as a dot product: it may differ from the GEMM's by rounding, so the
  // token itself is taken out of the count of higher logits below, whichever way it rounded.
  const rankLogit = plain.reduceSumPlain(g, op.mul(g, normed, toProjection(plain.gather(g, head.unembedding, rankIds))), [1]);
  const projectionInput = options.projection === 'float16' ? plain.castPlain(g, normed, 'float16') : normed;

  const chunks = vocabChunks(vocabSize);
  const chunkWeights = (chunk: { first: number; size: number }) =>
    options.unembedding === 'input'
      ? op.cast(g, g.input(unembeddingChunkName(chunk.first), 'float32', [chunk.size, width]), projectionInput.dtype)
      : unembeddingRows(g, model, projectionInput.dtype, chunk.first, chunk.size);
  const summaries = chunks.map((chunk) =>
    chunkSummary(g, { projectionInput, logitDType: normed.dtype, weights: chunkWeights(chunk), chunk, k, rankColumn, rankLogit }),
  );
  const merged = mergeChunkSummaries(g, summaries, k);
  g.output(op.sub(g, merged.top.values, merged.logSumExp), IO.topLogProbs);
  g.output(merged.top.ids, IO.topIds);
  g.output(op.sub(g, merged.bottom.values, merged.logSumExp), IO.bottomLogProbs);
  g.output(merged.bottom.ids, IO.bottomIds);

  // The count of logits above the rank token's dot-product logit, less the token itself when its
  // GEMM logit rounded above it.
  const chunkOfRankId = op.div(g, rankColumn, g.scalar(chunks[0].size, 'int64'));
  const rankLogitFromGemm = plain.gatherElements(g, merged.rankLogitsFromGemm, chunkOfRankId, 1);
  const rankTokenCounted = plain.castPlain(g, plain.greater(g, rankLogitFromGemm, rankLogit, [BLOCK, 1]), normed.dtype);
  g.output(plain.castPlain(g, op.sub(g, merged.higher, rankTokenCounted), 'float32'), IO.targetRanks);
  return g;
}

interface ChunkInputs {
  /** ln_f(v) for the block's rows, in the projection's precision. */
  projectionInput: Tensor;
  logitDType: DType;
  /** The unembedding's rows for this chunk of the vocabulary. */
  weights: Tensor;
  chunk: { first: number; size: number };
  k: Tensor;
  /** Each row's rank token id, [rows, 1], and that token's logit computed apart, [rows, 1]. */
  rankColumn: Tensor;
  rankLogit: Tensor;
}

/**
 * One vocabulary chunk's logits reduced to one tensor, [rows, 4k + 3]: top-k logits and their ids,
 * bottom-k logits and ids, log Σ exp, the count of logits above the rank logit, and the rank
 * token's own GEMM logit (meaningful only in the chunk that holds it). Ids travel as floats (exact
 * below 2^24). The single consumer makes onnxruntime run the chunk's nodes back to back, while the
 * logits are in the cache, and free them before the next chunk.
 */
function chunkSummary(g: Graph, c: ChunkInputs): Tensor {
  const { first, size } = c.chunk;
  const product = g.node('Gemm', [c.projectionInput, c.weights], [{ dtype: c.projectionInput.dtype, shape: [BLOCK, size] }], { transB: 1 })[0];
  const logits = plain.castPlain(g, product, c.logitDType);
  const best = (largest: boolean) => {
    const { values, indices } = plain.topK(g, logits, c.k, largest);
    return [values, plain.castPlain(g, op.add(g, indices, g.scalar(first, 'int64')), c.logitDType)];
  };
  // log Σ exp = max logit − max log-softmax: onnxruntime's LogSoftmax is vectorised, its
  // ReduceLogSumExp is not (10× slower here).
  const logSumExp = op.sub(g, plain.reduceMax(g, logits), plain.reduceMax(g, op.logSoftmax(g, logits)));
  const higher = plain.reduceSumPlain(g, plain.castPlain(g, plain.greater(g, logits, c.rankLogit, [BLOCK, size]), c.logitDType), [1]);
  const localIndex = op.sub(g, c.rankColumn, g.scalar(first, 'int64'));
  const clampedIndex = plain.maximum(g, plain.minimum(g, localIndex, g.scalar(size - 1, 'int64'), [BLOCK, 1]), g.scalar(0, 'int64'), [BLOCK, 1]);
  return plain.concatPlain(g, [...best(true), ...best(false), logSumExp, higher, plain.gatherElements(g, logits, clampedIndex, 1)], 1, 'summary');
}

/** The chunks' summaries merged exactly: top-k of the top-k, log Σ exp of the log Σ exp, sums of the counts. */
function mergeChunkSummaries(g: Graph, summaries: Tensor[], k: Tensor) {
  // [rows, chunks, 4k + 3] → one field across the chunks, [rows, chunks · width].
  const stacked = plain.concatPlain(g, summaries.map((s) => plain.unsqueeze(g, s, 1)), 1);
  const at = (kTimes: number, plus: number) => op.add(g, op.mul(g, k, g.int64s([kTimes])), g.int64s([plus]));
  const field = (start: Tensor, end: Tensor) => plain.flattenFrom(g, plain.sliceAxis(g, stacked, start, end, 2), 1);
  const best = (offset: number, largest: boolean) => {
    const { values, indices } = plain.topK(g, field(at(offset, 0), at(offset + 1, 0)), k, largest);
    const ids = plain.gatherElements(g, field(at(offset + 1, 0), at(offset + 2, 0)), indices, 1);
    return { values, ids: plain.castPlain(g, ids, 'int64') };
  };
  return {
    top: best(0, true),
    bottom: best(2, false),
    logSumExp: plain.reduceLogSumExp(g, field(at(4, 0), at(4, 1))),
    higher: plain.reduceSumPlain(g, field(at(4, 1), at(4, 2)), [1]),
    /** [rows, chunks]: each chunk's GEMM logit at the rank token's clamped index. */
    rankLogitsFromGemm: field(at(4, 2), at(4, 3)),
  };
}

export function weightSource(g: Graph, model: ModelDescription, dtype: DType, unembedding: UnembeddingSource): (name: string) => Tensor {
  const byLocation = new Map<string, Tensor>();
  let fedUnembedding: Tensor | undefined;
  const unembeddingRef = model.weights[unembeddingName(model.config)];
  return (name) => {
    // A tied embedding is the same bytes as D: its gather reads the fed D too, not a second copy of it.
    if (unembedding === 'input' && model.weights[name] === unembeddingRef) {
      fedUnembedding ??= op.cast(g, g.input(IO.unembedding, 'float32', [model.config.vocabSize, model.config.hiddenSize]), dtype);
      return fedUnembedding;
    }
    const ref = model.weights[name];
    if (!ref) throw new Error(`model ${model.name} has no weight ${name}`);
    const fileIndex = model.weightFiles.indexOf(ref.file);
    const key = `${fileIndex}:${ref.offset}:${ref.dtype}[${ref.shape}]`;
    let stored = byLocation.get(key);
    if (!stored) {
      stored = g.external(g.fresh(name), ref.dtype, ref.shape, {
        location: weightFileLocation(fileIndex),
        offset: ref.offset,
        length: ref.length,
      });
      byLocation.set(key, stored);
    }
    return op.cast(g, stored, dtype);
  };
}

/** The unembedding's rows [first, first + count) as a tensor of their own: a slice of the file, not a copy. */
function unembeddingRows(g: Graph, model: ModelDescription, dtype: DType, first: number, count: number): Tensor {
  const ref = model.weights[unembeddingName(model.config)];
  const rowBytes = ref.length / ref.shape[0];
  const rows = g.external(g.fresh(`unembedding_${first}`), ref.dtype, [count, ref.shape[1]], {
    location: weightFileLocation(model.weightFiles.indexOf(ref.file)),
    offset: ref.offset + first * rowBytes,
    length: count * rowBytes,
  });
  return op.cast(g, rows, dtype);
}

/**
 * Rows `positions` of x [T, d], as a one-hot [S, T] matmul so the gradient flows back to x.
 * Only these rows go through the unembedding: the paper's loss needs one row, not T.
 */
function selectRows(g: Graph, x: Tensor, positions: Tensor): Tensor {
  const everyPosition = plain.arange(g, plain.dimOf(g, x, 0), 'int64', SEQ);
  const oneHot = plain.equal(g, plain.unsqueeze(g, positions, 1), plain.unsqueeze(g, everyPosition, 0), [SCORED, SEQ]);
  return op.matmul(g, plain.castPlain(g, oneHot, x.dtype), x);
}

/** L = Σ_i w_i · (−log p(target_i | tokens ≤ i)); the loss mode only changes the weights. */
function weightedNll(g: Graph, logProbs: Tensor, targetIds: Tensor, lossWeights: Tensor, vocabSize: number): Tensor {
  const vocabIds = plain.arange(g, g.int64s([vocabSize]), 'int64', vocabSize);
  const oneHot = plain.castPlain(
    g,
    plain.equal(g, plain.unsqueeze(g, targetIds, 1), vocabIds, [SCORED, vocabSize]),
    logProbs.dtype,
  );
  const targetLogProbs = op.reduceSum(g, op.mul(g, logProbs, oneHot), [1]);
  const weighted = op.mul(g, op.reshape(g, targetLogProbs, [SCORED]), lossWeights);
  return op.neg(g, op.reshape(g, op.reduceSum(g, weighted, [0]), []));
}

function emitPrediction(g: Graph, logProbs: Tensor, position: Tensor, k: Tensor): void {
  const row = plain.gather(g, logProbs, position);
  const { values, indices } = plain.topK(g, row, k, true);
  g.output(values, IO.predictionLogProbs);
  g.output(indices, IO.predictionIds);
}

/** [T, w] per layer → [L·T, w], layer-major (the engine reads row layer·T + i). */
function stackLayers(g: Graph, perLayer: Tensor[]): Tensor {
  return plain.concatPlain(g, perLayer, 0, 'layers·T');
}

/** The Gram matrix F Fᵀ, [T, T], of one layer's factors: enough for ‖Σ_i a_i b_iᵀ‖ and its rank. */
function gram(g: Graph, factors: Tensor): Tensor {
  return g.node('Gemm', [factors, factors], [{ dtype: factors.dtype, shape: [factors.shape[0], factors.shape[0]] }], { transB: 1 })[0];
}
