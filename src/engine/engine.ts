/**
 * The Engine: one loaded model with two live sessions — the gradient graph and the lens graph
 * (one per lens variant) — turning requests into BackwardLensResult objects.
 */
import * as ort from 'onnxruntime-node';
import type { ModelDescription } from '../model/description';
import { buildGradientGraph, buildLensGraph, IO, LensGraphOptions, unembeddingChunkName, UnembeddingSource, vocabChunks } from '../graph/backwardLensGraph';
import { unembeddingName } from '../graph/models/transformer';
import { readWeightValues } from '../model/weightValues';
import type { Graph } from '../graph/graph';
import { toOnnxBytes } from '../graph/onnx';
import type { BackwardLensResult, ExecutionProviderName, LayerResult, LensRow, ScoredToken, TokenInfo } from '../result/schema';
import { LOSS_MODES, Precision, PRECISIONS, RESULT_SCHEMA } from '../result/schema';
import { choiceProblem, topKProblem } from './options';
import type { AnalysisRequest, Engine, EngineLog, EngineOptions, RunControl } from './api';
import { frobeniusNorm, gradientRank } from './gradientRank';
import { InputError, LossPlan, planLoss, planPrediction } from './lossPlan';
import { createLiveSession, defaultCacheDir, LiveSession, SessionRequest } from './session';

export interface EngineInternals {
  /** Weight bytes to use instead of the files (finite-difference tests perturb them). */
  weightData?: Uint8Array[];
  computeDType?: 'float32' | 'float64';
  /** Build the gradient graph with the FF1 VJPs and FF2 inputs as outputs (see buildGradientGraph). */
  factorOutputs?: boolean;
  /** Overrides the model-size rule of KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN (tests run both on tiny models). */
  keepRecomputations?: boolean;
  /** Overrides the provider rule of unembeddingSource (tests run the GPU layout on the CPU). */
  unembedding?: UnembeddingSource;
}

type Outputs = ort.InferenceSession.ReturnType;

type SessionLayout = Pick<SessionRequest, 'prepackWeights' | 'memoryArena' | 'disabledOptimizers'>;

type LensVariant = Pick<LensGraphOptions, 'normalized' | 'projection'>;

/**
 * Rows per lens run, at most. The lens graph reduces its logits chunk by chunk of the vocabulary,
 * so its memory grows with rows × chunk, not rows × V: 512 rows keep it near 8 MB a tensor
 * (measured on GPT-2 small at T = 32: 40 MB less resident memory than 1024 rows, same speed).
 */
const LENS_BLOCK_ROWS = 512;

/**
 * The composite ops' VJPs recompute their intermediates (GELU's tanh, attention's probabilities,
 * a norm's x̂) from the op's input, so the backward pass keeps only inputs alive. onnxruntime's
 * common-subexpression elimination merges each recomputation with the forward's identical nodes,
 * which keeps every layer's intermediates alive until the backward pass reaches that layer; the
 * gradient session runs without it once a model's MLP activations reach this many bytes a token
 * (layers × d_ff × 4). Measured: GPT-2 small (147 KB a token) at T = 256, peak live intermediates
 * 324 → 182 MB (summed over onnxruntime's executed order) and peak RSS 1039 → 703–819 MB over
 * the weights, at the same speed; stories260K (3.4 KB a token) at T = 250, the same peak RSS
 * either way (164 vs 168 MB) but 23 ms more session creation (108 → 131 ms), a sixth of its
 * cold start. Without it QuickGeluFusion finds the recomputed SiLU alone and rewrites it into
 * com.microsoft.QuickGelu, which has no float64 kernel, so float64 engines (tests) leave that
 * fusion out as well.
 */
const KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN = 64 * 1024;

/** The lens read-out of every cell (FF1 cells first, then FF2; layer-major, then position). */
interface LensOutputs {
  norms: Float32Array;
  ranks: Float32Array;
  topIds: BigInt64Array;
  topLogProbs: Float32Array;
  bottomIds: BigInt64Array;
  bottomLogProbs: Float32Array;
}

export class BackwardLensEngine implements Engine {
  private readonly compiled = new Map<string, Promise<LiveSession>>();
  private readonly tokenTexts = new Map<number, string>();
  private unembedding: Float32Array | undefined;
  executionProvider: Engine['executionProvider'] = 'cpu';
  executionProviderNote: string | undefined;

  constructor(
    readonly model: ModelDescription,
    private readonly weightsSha256: string,
    private readonly options: EngineOptions & EngineInternals,
    private readonly log: EngineLog = () => undefined,
  ) {}

  get modelName(): string {
    return this.model.name;
  }

  private get computeDType() {
    return this.options.computeDType ?? 'float32';
  }

  /**
   * On the CPU both sessions are fed D from one buffer: as initializers, the gradient session maps
   * D and the lens session keeps a prepacked copy, 147 MB more for GPT-2 small (measured peak RSS
   * over the weights at T = 128: 530 → 386 MB, at T = 32: 395 → 230 MB; warm time 2–4 % more,
   * the lens GEMMs packing D's chunks per call instead of once). A GPU session keeps D on the
   * device as an initializer, since feeding it would copy it there on every run.
   */
  private unembeddingSource(provider: ExecutionProviderName, projection: Precision): UnembeddingSource {
    // A float16 lens keeps D an initializer on the CPU too (it is a GPU option): fed, its
    // log-probabilities missed the float64 lens of half-precision D by 2·10⁻⁴ there, onnxruntime
    // having no CPU float16 Gemm and rewriting the casts around it.
    return this.options.unembedding ?? (provider === 'cpu' && projection === 'float32' ? 'input' : 'initializer');
  }

  /** D as float32, read once and shared by every CPU session's feeds. */
  private unembeddingValues(): Float32Array {
    if (!this.unembedding) {
      const ref = this.model.weights[unembeddingName(this.model.config)];
      this.unembedding = readWeightValues(ref, this.options.weightData?.[this.model.weightFiles.indexOf(ref.file)]);
    }
    return this.unembedding;
  }

  /** D for a session whose graph takes it as inputs: the whole of it, and (the lens) a view per vocabulary chunk. */
  private unembeddingFeeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
    if (!session.inputNames.includes(IO.unembedding)) return {};
    const { vocabSize, hiddenSize: d } = this.model.config;
    const values = this.unembeddingValues();
    const feeds: Record<string, ort.Tensor> = { [IO.unembedding]: new ort.Tensor('float32', values, [vocabSize, d]) };
    for (const { first, size } of vocabChunks(vocabSize)) {
      const name = unembeddingChunkName(first);
      if (session.inputNames.includes(name)) feeds[name] = new ort.Tensor('float32', values.subarray(first * d, (first + size) * d), [size, d]);
    }
    return feeds;
  }

  private get keepsRecomputations(): boolean {
    const { layers, intermediateSize } = this.model.config;
    return this.options.keepRecomputations ?? layers * intermediateSize * 4 >= KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN;
  }

  /** Compiles a graph and opens its session once; later calls reuse it. */
  private session(key: string, build: (provider: ExecutionProviderName) => Graph, layout: SessionLayout): Promise<LiveSession> {
    let pending = this.compiled.get(key);
    if (!pending) {
      pending = this.open(key, build, layout);
      this.compiled.set(key, pending);
      pending.catch(() => this.compiled.delete(key));
    }
    return pending;
  }

  private gradientSession(matmuls: Precision = 'float32'): Promise<LiveSession> {
    const key = `gradient${matmuls === 'float16' ? ' float16-matmuls' : ''}`;
    const build = (provider: ExecutionProviderName) =>
      buildGradientGraph(this.model, this.computeDType, { factorOutputs: this.options.factorOutputs, matmuls, unembedding: this.unembeddingSource(provider, 'float32') });
    return this.session(key, build, {
      prepackWeights: false,
      memoryArena: false,
      disabledOptimizers: this.keepsRecomputations ? ['CommonSubexpressionElimination', ...(this.computeDType === 'float64' ? ['QuickGeluFusion'] : [])] : [],
    });
  }

  private lensSession(lens: LensVariant): Promise<LiveSession> {
    const key = `${lens.normalized ? 'normalized' : 'paper'} lens${lens.projection === 'float16' ? ' float16' : ''}`;
    const build = (provider: ExecutionProviderName) =>
      buildLensGraph(this.model, { computeDType: this.computeDType, ...lens, unembedding: this.unembeddingSource(provider, lens.projection) });
    return this.session(key, build, { prepackWeights: true, memoryArena: true, disabledOptimizers: [] });
  }

  private async open(key: string, build: (provider: ExecutionProviderName) => Graph, layout: SessionLayout): Promise<LiveSession> {
    const started = performance.now();
    const live = await createLiveSession({
      graphFor: (provider) => toOnnxBytes(build(provider), `backward-lens-${key.replace(/ /g, '-')}`),
      weightFiles: this.model.weightFiles,
      executionProvider: this.options.executionProvider ?? 'auto',
      cacheDir: this.options.cacheDir ?? defaultCacheDir(),
      weightData: this.options.weightData,
      ...layout,
    });
    this.executionProvider = live.executionProvider;
    this.executionProviderNote = live.executionProviderNote;
    const compileMs = performance.now() - started;
    this.log(
      `compiled the ${key} graph of ${this.model.name} on ${live.executionProvider} in ${compileMs.toFixed(0)} ms, weights via ${live.weightsVia}${live.executionProviderNote ? `; ${live.executionProviderNote}` : ''}`,
    );
    return live;
  }

  async analyze(request: AnalysisRequest, control: RunControl = {}): Promise<BackwardLensResult> {
    const problem =
      choiceProblem('loss mode', request.lossMode, LOSS_MODES) ??
      topKProblem('top-k', request.topK, this.model.config.vocabSize) ??
      choiceProblem('projection', request.projection ?? 'float32', PRECISIONS) ??
      choiceProblem('matmuls', request.matmuls ?? 'float32', PRECISIONS);
    if (problem) throw new InputError(`${problem}.`);
    const plan = planLoss(this.model.tokenizer, {
      prompt: request.prompt,
      target: request.target,
      lossMode: request.lossMode,
      maxTokens: Math.min(request.maxTokens ?? Infinity, this.model.config.contextLength),
    });
    const lens: LensVariant = { normalized: request.normalized ?? false, projection: request.projection ?? 'float32' };
    const matmuls = request.matmuls ?? 'float32';
    const waitStarted = performance.now();
    const [gradient, lensLive] = await Promise.all([this.gradientSession(matmuls), this.lensSession(lens)]);
    // Wall time, not the sum of both sessions' compile times: they are built concurrently.
    const compileMs = performance.now() - waitStarted;
    const started = performance.now();
    const outputs = await gradient.session.run(this.feeds(gradient, plan, request.topK), [
      IO.loss, IO.predictionIds, IO.predictionLogProbs, IO.ff1Input, IO.ff2Vjp,
      IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp,
    ]);
    const lensOutputs = await this.runLens(lensLive, outputs, plan, request.topK, control.signal);
    const runMs = performance.now() - started;
    this.log(`analysed ${plan.inputIds.length} tokens in ${runMs.toFixed(1)} ms`);
    return this.toResult(request, plan, outputs, lensOutputs, { compileMs, runMs }, lens, lensLive, matmuls);
  }

  /**
   * Projects every x_i (FF1) and δ_i (FF2) of every layer through the lens session, in blocks of
   * rows. Zero vectors with the same rank token give the same read-out, so each such pair is
   * projected once (δ is exactly 0 at every last-layer position that carries no loss).
   */
  private async runLens(live: LiveSession, gradientOutputs: Outputs, plan: LossPlan, topK: number, signal?: AbortSignal): Promise<LensOutputs> {
    const d = this.model.config.hiddenSize;
    const ff1 = gradientOutputs[IO.ff1Input].data as Float32Array;
    const ff2 = gradientOutputs[IO.ff2Vjp].data as Float32Array;
    const cells = (ff1.length + ff2.length) / d;
    const T = plan.inputIds.length;
    const vectorOf = (c: number) => (c * d < ff1.length ? ff1.subarray(c * d, (c + 1) * d) : ff2.subarray(c * d - ff1.length, (c + 1) * d - ff1.length));
    const { projected, sourceRow } = distinctRows(cells, vectorOf, (c) => plan.rankIds[c % T]);
    const rows = projected.length;
    const vectors = new (ff1.constructor as Float32ArrayConstructor)(rows * d);
    projected.forEach((c, r) => vectors.set(vectorOf(c), r * d));
    const rankIds = BigInt64Array.from(projected, (c) => BigInt(plan.rankIds[c % T]));
    const read: LensOutputs = {
      norms: new Float32Array(rows),
      ranks: new Float32Array(rows),
      topIds: new BigInt64Array(rows * topK),
      topLogProbs: new Float32Array(rows * topK),
      bottomIds: new BigInt64Array(rows * topK),
      bottomLogProbs: new Float32Array(rows * topK),
    };
    const blockRows = Math.ceil(rows / Math.ceil(rows / LENS_BLOCK_ROWS));
    const unembedding = this.unembeddingFeeds(live.session);
    for (let first = 0; first < rows; first += blockRows) {
      signal?.throwIfAborted();
      const count = Math.min(blockRows, rows - first);
      const out = await live.session.run({
        [IO.lensVectors]: new ort.Tensor(this.computeDType, vectors.subarray(first * d, (first + count) * d), [count, d]),
        [IO.lensRankIds]: new ort.Tensor('int64', rankIds.subarray(first, first + count), [count]),
        [IO.topK]: new ort.Tensor('int64', BigInt64Array.of(BigInt(topK)), [1]),
        ...unembedding,
      });
      read.norms.set(out[IO.norms].data as Float32Array, first);
      read.ranks.set(out[IO.targetRanks].data as Float32Array, first);
      read.topIds.set(out[IO.topIds].data as BigInt64Array, first * topK);
      read.topLogProbs.set(out[IO.topLogProbs].data as Float32Array, first * topK);
      read.bottomIds.set(out[IO.bottomIds].data as BigInt64Array, first * topK);
      read.bottomLogProbs.set(out[IO.bottomLogProbs].data as Float32Array, first * topK);
    }
    return rows === cells ? read : expandRows(read, sourceRow, topK);
  }

  /** Raw gradient-graph outputs for a plan (tests read the vectors and factors from here). */
  async run(plan: LossPlan, names: string[], topK = 1): Promise<Outputs> {
    const live = await this.gradientSession();
    return live.session.run(this.feeds(live, plan, topK), names);
  }

  async predictNext(prompt: string, k: number): Promise<ScoredToken[]> {
    const plan = planPrediction(this.model.tokenizer, prompt, this.model.config.contextLength);
    const outputs = await this.run(plan, [IO.predictionIds, IO.predictionLogProbs], k);
    return this.scored(outputs[IO.predictionIds].data as BigInt64Array, outputs[IO.predictionLogProbs].data as Float32Array);
  }

  async dispose(): Promise<void> {
    const sessions = await Promise.allSettled(this.compiled.values());
    this.compiled.clear();
    this.unembedding = undefined;
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.session.release();
  }

  private feeds(live: LiveSession, plan: LossPlan, topK: number): Record<string, ort.Tensor> {
    const scored = plan.inputIds.map((_, i) => i).filter((i) => plan.lossWeights[i] !== 0 || i === plan.predictPosition);
    const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);
    const floats = this.options.computeDType === 'float64' ? Float64Array : Float32Array;
    return {
      [IO.inputIds]: int64(plan.inputIds),
      [IO.scoredPositions]: int64(scored),
      [IO.targetIds]: int64(scored.map((i) => plan.targetIds[i])),
      [IO.lossWeights]: new ort.Tensor(this.options.computeDType ?? 'float32', floats.from(scored.map((i) => plan.lossWeights[i])), [scored.length]),
      [IO.predictIndex]: int64([scored.indexOf(plan.predictPosition)]),
      [IO.topK]: int64([topK]),
      ...this.unembeddingFeeds(live.session),
    };
  }

  /**
   * A token's text, decoded once per engine: a result names up to 2k tokens per cell, and the
   * tokenizers' decoding (≈7 µs a call for GPT-2's) made building a T = 256 result take 0.4 s.
   */
  private tokenText(id: number): string {
    let text = this.tokenTexts.get(id);
    if (text === undefined) {
      text = this.model.tokenizer.tokenText(id);
      this.tokenTexts.set(id, text);
    }
    return text;
  }

  private scored(ids: BigInt64Array | ArrayLike<bigint>, logProbs: ArrayLike<number>, from = 0, count = ids.length): ScoredToken[] {
    return Array.from({ length: count }, (_, j) => {
      const id = Number(ids[from + j]);
      return { id, text: this.tokenText(id), prob: Math.exp(logProbs[from + j]) };
    });
  }

  private toResult(
    request: AnalysisRequest,
    plan: LossPlan,
    out: Outputs,
    lens: LensOutputs,
    timings: { compileMs: number; runMs: number },
    variant: LensVariant,
    live: LiveSession,
    matmuls: Precision,
  ): BackwardLensResult {
    const { config } = this.model;
    const T = plan.inputIds.length;
    const L = config.layers;
    const k = request.topK;
    // Every float output is a typed array of the compute dtype, so slices are views, not copies.
    const data = (name: string) => out[name].data as Float32Array | Float64Array;
    const ids = (name: string) => out[name].data as BigInt64Array;
    const row = (kind: 0 | 1, layer: number, vectorsName: string): LensRow => {
      const first = (kind * L + layer) * T;
      const cells = Array.from({ length: T }, (_, i) => first + i);
      const grid: LensRow = {
        norms: cells.map((c) => lens.norms[c]),
        top: cells.map((c) => this.scored(lens.topIds, lens.topLogProbs, c * k, k)),
        bottom: cells.map((c) => this.scored(lens.bottomIds, lens.bottomLogProbs, c * k, k)),
        targetRank: cells.map((c) => lens.ranks[c]),
      };
      if (request.vectors) {
        const width = config.hiddenSize;
        const all = data(vectorsName);
        grid.vectors = Array.from({ length: T }, (_, i) => Array.from(all.subarray((layer * T + i) * width, (layer * T + i + 1) * width)));
      }
      return grid;
    };
    const gramOf = (name: string, layer: number) => data(name).subarray(layer * T * T, (layer + 1) * T * T);
    const layers: LayerResult[] = Array.from({ length: L }, (_, layer) => {
      const [x, g1, h, d] = [IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp].map((n) => gramOf(n, layer));
      return {
        layer,
        ff1: row(0, layer, IO.ff1Input),
        ff2: row(1, layer, IO.ff2Vjp),
        gradNorm: { ff1: frobeniusNorm(g1, x), ff2: frobeniusNorm(d, h) },
        gradRank: { ff1: gradientRank(g1, x, T), ff2: gradientRank(d, h, T) },
      };
    });
    const tokens: TokenInfo[] = plan.inputIds.map((id) => ({ id, text: this.tokenText(id) }));
    return {
      schema: RESULT_SCHEMA,
      createdAt: new Date().toISOString(),
      model: {
        name: this.model.name,
        architecture: config.architecture,
        layers: L,
        hiddenSize: config.hiddenSize,
        vocabSize: config.vocabSize,
        source: this.model.source,
        sha256: this.weightsSha256,
      },
      executionProvider: live.executionProvider,
      ...(live.executionProviderNote ? { executionProviderNote: live.executionProviderNote } : {}),
      matmuls,
      lossMode: request.lossMode,
      lens: { topK: k, ...variant },
      prompt: request.prompt,
      target: request.lossMode === 'text' ? '' : request.target,
      tokens,
      targetIds: plan.lossTargetIds,
      targetTokens: plan.lossTargetIds.map((id) => ({ id, text: this.tokenText(id) })),
      rankIds: plan.rankIds,
      lossWeights: plan.lossWeights,
      loss: data(IO.loss)[0],
      prediction: this.scored(ids(IO.predictionIds), data(IO.predictionLogProbs)),
      layers,
      timings,
    };
  }
}

/**
 * The cells to project: every non-zero vector, and the first zero vector of each rank token.
 * `sourceRow[c]` is the projected row whose read-out cell c shares.
 */
function distinctRows(cells: number, vectorOf: (cell: number) => ArrayLike<number>, rankIdOf: (cell: number) => number) {
  const projected: number[] = [];
  const sourceRow = new Int32Array(cells);
  const zeroRowByRankId = new Map<number, number>();
  for (let c = 0; c < cells; c++) {
    const vector = vectorOf(c);
    let zero = true;
    for (let i = 0; i < vector.length && zero; i++) zero = vector[i] === 0;
    const shared = zero ? zeroRowByRankId.get(rankIdOf(c)) : undefined;
    if (shared !== undefined) {
      sourceRow[c] = shared;
      continue;
    }
    sourceRow[c] = projected.length;
    if (zero) zeroRowByRankId.set(rankIdOf(c), projected.length);
    projected.push(c);
  }
  return { projected, sourceRow };
}

/** Per-cell read-out from per-projected-row read-out. */
function expandRows(read: LensOutputs, sourceRow: Int32Array, topK: number): LensOutputs {
  const cells = sourceRow.length;
  const perCell = <A extends Float32Array | BigInt64Array>(rows: A, width: number): A => {
    const out = new (rows.constructor as { new (n: number): A })(cells * width);
    sourceRow.forEach((r, c) => out.set(rows.subarray(r * width, (r + 1) * width) as never, c * width));
    return out;
  };
  return {
    norms: perCell(read.norms, 1),
    ranks: perCell(read.ranks, 1),
    topIds: perCell(read.topIds, topK),
    topLogProbs: perCell(read.topLogProbs, topK),
    bottomIds: perCell(read.bottomIds, topK),
    bottomLogProbs: perCell(read.bottomLogProbs, topK),
  };
}
