/**
 * The Engine: one loaded model, its compiled Backward Lens graph and a live session per lens
 * variant, turning requests into BackwardLensResult objects.
 */
import * as ort from 'onnxruntime-node';
import type { ModelDescription } from '../model/description';
import { buildBackwardLensGraph, IO } from '../graph/backwardLensGraph';
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

export class BackwardLensEngine implements Engine {
  private readonly sessions = new Map<boolean, Promise<{ live: LiveSession; compileMs: number }>>();
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

  /** Compiles and opens the session of one lens variant once; later calls reuse it. */
  session(normalized: boolean): Promise<{ live: LiveSession; compileMs: number }> {
    let pending = this.sessions.get(normalized);
    if (!pending) {
      pending = this.openSession(normalized);
      this.sessions.set(normalized, pending);
      pending.catch(() => this.sessions.delete(normalized));
    }
    return pending;
  }

  private async openSession(normalized: boolean): Promise<{ live: LiveSession; compileMs: number }> {
    const started = performance.now();
    const graph = buildBackwardLensGraph(this.model, { computeDType: this.options.computeDType ?? 'float32', normalized });
    const live = await createLiveSession({
      graphBytes: toOnnxBytes(graph, `backward-lens-${this.model.name}`),
      weightFiles: this.model.weightFiles,
      executionProvider: this.options.executionProvider ?? 'auto',
      cacheDir: this.options.cacheDir ?? defaultCacheDir(),
      weightData: this.options.weightData,
    });
    this.executionProvider = live.executionProvider;
    this.executionProviderNote = live.executionProviderNote;
    const compileMs = performance.now() - started;
    this.options.log?.(
      `compiled ${this.model.name} (${normalized ? 'normalized' : 'paper'} lens) on ${live.executionProvider} in ${compileMs.toFixed(0)} ms, weights via ${live.weightsVia}${live.executionProviderNote ? `; ${live.executionProviderNote}` : ''}`,
    );
    return { live, compileMs };
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
    const { live, compileMs } = await this.session(normalized);
    const fetches = [
      IO.loss, IO.predictionIds, IO.predictionLogProbs, IO.topIds, IO.topLogProbs, IO.bottomIds, IO.bottomLogProbs,
      IO.norms, IO.targetRanks, IO.gramFf1Input, IO.gramFf1Vjp, IO.gramFf2Input, IO.gramFf2Vjp,
      ...(request.vectors ? [IO.ff1Input, IO.ff2Vjp] : []),
    ];
    const started = performance.now();
    const outputs = await live.session.run(this.feeds(plan, request.topK), fetches);
    const runMs = performance.now() - started;
    this.options.log?.(`analysed ${plan.inputIds.length} tokens in ${runMs.toFixed(1)} ms`);
    return this.toResult(request, plan, outputs, { compileMs, runMs }, normalized, live);
  }

  /** Raw graph outputs for a plan (tests read the vectors and factors from here). */
  async run(plan: LossPlan, names: string[], topK = 1): Promise<Outputs> {
    const { live } = await this.session(false);
    return live.session.run(this.feeds(plan, topK), names);
  }

  async predictNext(prompt: string, k: number): Promise<ScoredToken[]> {
    const plan = planPrediction(this.model.tokenizer, prompt, this.model.config.contextLength);
    const outputs = await this.run(plan, [IO.predictionIds, IO.predictionLogProbs], k);
    return this.scored(outputs[IO.predictionIds].data as BigInt64Array, outputs[IO.predictionLogProbs].data as Float32Array);
  }

  async dispose(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.live.session.release();
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
      [IO.rankIds]: int64(plan.rankIds),
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
    timings: { compileMs: number; runMs: number },
    normalized: boolean,
    live: LiveSession,
  ): BackwardLensResult {
    const { config } = this.model;
    const T = plan.inputIds.length;
    const L = config.layers;
    const k = request.topK;
    const data = (name: string) => out[name].data as ArrayLike<number>;
    const ids = (name: string) => out[name].data as BigInt64Array;
    const row = (kind: 0 | 1, layer: number, vectorsName: string): LensRow => {
      const first = (kind * L + layer) * T;
      const cells = Array.from({ length: T }, (_, i) => first + i);
      const lens: LensRow = {
        norms: cells.map((c) => data(IO.norms)[c]),
        top: cells.map((c) => this.scored(ids(IO.topIds), data(IO.topLogProbs), c * k, k)),
        bottom: cells.map((c) => this.scored(ids(IO.bottomIds), data(IO.bottomLogProbs), c * k, k)),
        targetRank: cells.map((c) => data(IO.targetRanks)[c]),
      };
      if (request.vectors) {
        const width = config.hiddenSize;
        const all = data(vectorsName);
        lens.vectors = Array.from({ length: T }, (_, i) => Array.from(sliceOf(all, (layer * T + i) * width, width)));
      }
      return lens;
    };
    const gramOf = (name: string, layer: number) => sliceOf(data(name), layer * T * T, T * T);
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
      rankIds: plan.rankIds,
      lossWeights: plan.lossWeights,
      loss: data(IO.loss)[0],
      prediction: this.scored(ids(IO.predictionIds), data(IO.predictionLogProbs)),
      layers,
      timings,
    };
  }
}

function sliceOf(values: ArrayLike<number>, start: number, length: number): ArrayLike<number> {
  return (values as Float32Array).subarray
    ? (values as Float32Array).subarray(start, start + length)
    : Array.prototype.slice.call(values, start, start + length);
}
