/**
 * The Engine: one loaded model with two live sessions — the gradient graph and the lens graph
 * (one per lens variant) — turning requests into BackwardLensResult objects.
 */
import * as ort from 'onnxruntime-node';
import type { ModelDescription } from '../model/description';
import { buildGradientGraph, buildLensGraph, IO } from '../graph/backwardLensGraph';
import type { Graph } from '../graph/graph';
import { toOnnxBytes } from '../graph/onnx';
import type { BackwardLensResult, LayerResult, LensRow, ScoredToken, TokenInfo } from '../result/schema';
import { RESULT_SCHEMA } from '../result/schema';
import type { AnalysisRequest, Engine, EngineOptions } from './api';
import { frobeniusNorm, gradientRank } from './gradientRank';
import { InputError, LossPlan, planLoss, planPrediction } from './lossPlan';
import { createLiveSession, defaultCacheDir, LiveSession } from './session';

export interface EngineInternals {
  /** Weight bytes to use instead of the files (finite-difference tests perturb them). */
  weightData?: Uint8Array[];
  computeDType?: 'float32' | 'float64';
}

type Outputs = ort.InferenceSession.ReturnType;

/**
 * Logits per lens block: 8M floats (32 MB) keeps each block's [rows × V] intermediates near the
 * cache and bounds memory whatever the prompt length.
 */
const LENS_BLOCK_LOGITS = 8 * 1024 * 1024;

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
  executionProvider: Engine['executionProvider'] = 'cpu';
  executionProviderNote: string | undefined;

  constructor(
    readonly model: ModelDescription,
    private readonly weightsSha256: string,
    private readonly options: EngineOptions & EngineInternals,
  ) {}

  get modelName(): string {
    return this.model.name;
  }

  private get computeDType() {
    return this.options.computeDType ?? 'float32';
  }

  /** Compiles a graph and opens its session once; later calls reuse it. */
  private session(key: string, build: () => Graph, prepackWeights: boolean): Promise<LiveSession> {
    let pending = this.compiled.get(key);
    if (!pending) {
      pending = this.open(key, build, prepackWeights);
      this.compiled.set(key, pending);
      pending.catch(() => this.compiled.delete(key));
    }
    return pending;
  }

  private gradientSession(): Promise<LiveSession> {
    return this.session('gradient', () => buildGradientGraph(this.model, this.computeDType), false);
  }

  private lensSession(normalized: boolean): Promise<LiveSession> {
    const key = normalized ? 'normalized lens' : 'paper lens';
    return this.session(key, () => buildLensGraph(this.model, { computeDType: this.computeDType, normalized }), true);
  }

  private async open(key: string, build: () => Graph, prepackWeights: boolean): Promise<LiveSession> {
    const started = performance.now();
    const live = await createLiveSession({
      graphBytes: toOnnxBytes(build(), `backward-lens-${key.replace(/ /g, '-')}`),
      weightFiles: this.model.weightFiles,
      executionProvider: this.options.executionProvider ?? 'auto',
      cacheDir: this.options.cacheDir ?? defaultCacheDir(),
      weightData: this.options.weightData,
      prepackWeights,
    });
    this.executionProvider = live.executionProvider;
    this.executionProviderNote = live.executionProviderNote;
    const compileMs = performance.now() - started;
    this.options.log?.(
      `compiled the ${key} graph of ${this.model.name} on ${live.executionProvider} in ${compileMs.toFixed(0)} ms, weights via ${live.weightsVia}${live.executionProviderNote ? `; ${live.executionProviderNote}` : ''}`,
    );
    return live;
  }

  async analyze(request: AnalysisRequest): Promise<BackwardLensResult> {
    const plan = planLoss(this.model.tokenizer, {
      prompt: request.prompt,
      target: request.target,
      lossMode: request.lossMode,
      maxTokens: Math.min(request.maxTokens ?? Infinity, this.model.config.contextLength),
    });
    if (!(request.topK >= 1 && request.topK <= this.model.config.vocabSize)) {
      throw new InputError(`top-k must be between 1 and the vocabulary size ${this.model.config.vocabSize}.`);
    }
    const normalized = request.normalized ?? false;
    const waitStarted = performance.now();
    const [gradient, lens] = await Promise.all([this.gradientSession(), this.lensSession(normalized)]);
    // Wall time, not the sum of both sessions' compile times: they are built concurrently.
    const compileMs = performance.now() - waitStarted;
    const started = performance.now();
    const outputs = await gradient.session.run(this.feeds(plan, request.topK), [
      IO.loss, IO.predictionIds, IO.predictionLogProbs, IO.ff1Input, IO.ff2Vjp,
      IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp,
    ]);
    const lensOutputs = await this.runLens(lens, outputs, plan, request.topK, request.signal);
    const runMs = performance.now() - started;
    this.options.log?.(`analysed ${plan.inputIds.length} tokens in ${runMs.toFixed(1)} ms`);
    return this.toResult(request, plan, outputs, lensOutputs, { compileMs, runMs }, normalized, lens);
  }

  /**
   * Projects every x_i (FF1) and δ_i (FF2) of every layer through the lens session, in blocks of
   * rows so the [rows × V] logits stay bounded.
   */
  private async runLens(live: LiveSession, gradientOutputs: Outputs, plan: LossPlan, topK: number, signal?: AbortSignal): Promise<LensOutputs> {
    const d = this.model.config.hiddenSize;
    const ff1 = gradientOutputs[IO.ff1Input].data as Float32Array;
    const ff2 = gradientOutputs[IO.ff2Vjp].data as Float32Array;
    const vectors = new (ff1.constructor as Float32ArrayConstructor)(ff1.length + ff2.length);
    vectors.set(ff1);
    vectors.set(ff2, ff1.length);
    const cells = vectors.length / d;
    const T = plan.inputIds.length;
    const rankIds = BigInt64Array.from({ length: cells }, (_, c) => BigInt(plan.rankIds[c % T]));
    const all: LensOutputs = {
      norms: new Float32Array(cells),
      ranks: new Float32Array(cells),
      topIds: new BigInt64Array(cells * topK),
      topLogProbs: new Float32Array(cells * topK),
      bottomIds: new BigInt64Array(cells * topK),
      bottomLogProbs: new Float32Array(cells * topK),
    };
    const rowsPerBlock = Math.max(1, Math.floor(LENS_BLOCK_LOGITS / this.model.config.vocabSize));
    for (let first = 0; first < cells; first += rowsPerBlock) {
      signal?.throwIfAborted();
      const rows = Math.min(rowsPerBlock, cells - first);
      const out = await live.session.run({
        [IO.lensVectors]: new ort.Tensor(this.computeDType, vectors.subarray(first * d, (first + rows) * d), [rows, d]),
        [IO.lensRankIds]: new ort.Tensor('int64', rankIds.subarray(first, first + rows), [rows]),
        [IO.topK]: new ort.Tensor('int64', BigInt64Array.of(BigInt(topK)), [1]),
      });
      all.norms.set(out[IO.norms].data as Float32Array, first);
      all.ranks.set(out[IO.targetRanks].data as Float32Array, first);
      all.topIds.set(out[IO.topIds].data as BigInt64Array, first * topK);
      all.topLogProbs.set(out[IO.topLogProbs].data as Float32Array, first * topK);
      all.bottomIds.set(out[IO.bottomIds].data as BigInt64Array, first * topK);
      all.bottomLogProbs.set(out[IO.bottomLogProbs].data as Float32Array, first * topK);
    }
    return all;
  }

  /** Raw gradient-graph outputs for a plan (tests read the vectors and factors from here). */
  async run(plan: LossPlan, names: string[], topK = 1): Promise<Outputs> {
    const live = await this.gradientSession();
    return live.session.run(this.feeds(plan, topK), names);
  }

  async predictNext(prompt: string, k: number): Promise<ScoredToken[]> {
    const plan = planPrediction(this.model.tokenizer, prompt, this.model.config.contextLength);
    const outputs = await this.run(plan, [IO.predictionIds, IO.predictionLogProbs], k);
    return this.scored(outputs[IO.predictionIds].data as BigInt64Array, outputs[IO.predictionLogProbs].data as Float32Array);
  }

  async dispose(): Promise<void> {
    const sessions = await Promise.allSettled(this.compiled.values());
    this.compiled.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.session.release();
  }

  private feeds(plan: LossPlan, topK: number): Record<string, ort.Tensor> {
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
    };
  }

  private scored(ids: BigInt64Array | ArrayLike<bigint>, logProbs: ArrayLike<number>, from = 0, count = ids.length): ScoredToken[] {
    return Array.from({ length: count }, (_, j) => {
      const id = Number(ids[from + j]);
      return { id, text: this.model.tokenizer.tokenText(id), prob: Math.exp(logProbs[from + j]) };
    });
  }

  private toResult(
    request: AnalysisRequest,
    plan: LossPlan,
    out: Outputs,
    lens: LensOutputs,
    timings: { compileMs: number; runMs: number },
    normalized: boolean,
    live: LiveSession,
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
    const tokens: TokenInfo[] = plan.inputIds.map((id) => ({ id, text: this.model.tokenizer.tokenText(id) }));
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
      lossMode: request.lossMode,
      lens: { topK: k, normalized },
      prompt: request.prompt,
      target: request.lossMode === 'text' ? '' : request.target,
      tokens,
      targetIds: plan.lossTargetIds,
      targetTokens: plan.lossTargetIds.map((id) => ({ id, text: this.model.tokenizer.tokenText(id) })),
      rankIds: plan.rankIds,
      lossWeights: plan.lossWeights,
      loss: data(IO.loss)[0],
      prediction: this.scored(ids(IO.predictionIds), data(IO.predictionLogProbs)),
      layers,
      timings,
    };
  }
}
