/**
 * The engine's onnxruntime sessions, each compiled and opened once — the gradient graph per matmul
 * precision, the lens graph per lens variant — and how each is laid out: arena, prepacking, which
 * graph optimizers run, where the unembedding D comes from.
 */
import * as ort from 'onnxruntime-node';
import type { ModelDescription } from '../model/description';
import { buildGradientGraph, buildLensGraph, ComputeDType, IO, LensGraphOptions, unembeddingChunkName, UnembeddingSource, vocabChunks } from '../graph/backwardLensGraph';
import { buildEditGraph } from '../graph/editGraph';
import { unembeddingName } from '../graph/models/transformer';
import { readWeightValues } from '../model/weightValues';
import { readWeightValuesOffThread } from '../model/weightValuesOffThread';
import type { Graph } from '../graph/graph';
import { toOnnxBytes } from '../graph/onnx';
import type { ExecutionProviderName, Precision } from '../result/schema';
import type { EngineLog, EngineOptions } from './api';
import { createLiveSession, defaultCacheDir, LiveSession, SessionRequest } from './session';

/** How the graphs are built and fed where a test needs another way; production uses the defaults. */
export interface GraphVariant {
  /** Default float32; the gradient and reference tests compute in float64. */
  computeDType?: ComputeDType;
  /** Weight bytes to use instead of the files (finite-difference tests perturb them). */
  weightData?: Uint8Array[];
  /**
   * Build every gradient graph with the FF1 VJPs and FF2 inputs as outputs (see
   * buildGradientGraph), and the edit graph with the FF1 pre-activations (see buildEditGraph).
   */
  factorOutputs?: boolean;
  /** Overrides the model-size rule of KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN (tests run both on tiny models). */
  keepRecomputations?: boolean;
  /** Overrides the provider rule of unembeddingSource (tests run the GPU layout on the CPU). */
  unembedding?: UnembeddingSource;
}

export type LensVariant = Pick<LensGraphOptions, 'normalized' | 'projection'>;

type Feeds = Record<string, ort.Tensor>;

export interface AnalysisSessions {
  gradient: GraphSession;
  lens: GraphSession;
  edit?: GraphSession;
}

type SessionLayout = Pick<SessionRequest, 'prepackWeights' | 'memoryArena' | 'disabledOptimizers'>;

/**
 * From this many bytes of MLP activations a token (layers × d_ff × 4), the gradient session runs
 * without common-subexpression elimination, which merges the VJPs' recomputations back into the
 * forward pass and so keeps every layer's intermediates alive (GPT-2 small, T = 256: 324 → 182 MB).
 */
const KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN = 64 * 1024;

/** A live session, run with what every run of its graph is fed besides the caller's feeds (D, where the graph takes D as inputs). */
export class GraphSession {
  constructor(
    readonly live: LiveSession,
    readonly computeDType: ComputeDType,
    private readonly sharedFeeds: Feeds,
  ) {}

  run(feeds: Feeds, fetches: readonly string[]): Promise<ort.InferenceSession.ReturnType> {
    return this.live.session.run({ ...feeds, ...this.sharedFeeds }, fetches);
  }
}

export class SessionCache {
  private readonly compiled = new Map<string, Promise<GraphSession>>();
  private readonly opened = new WeakSet<Promise<GraphSession>>();
  private unembedding: Promise<Float32Array> | undefined;
  executionProvider: ExecutionProviderName = 'cpu';
  executionProviderNote: string | undefined;
  private providerKnown = false;

  constructor(
    private readonly model: ModelDescription,
    private readonly options: EngineOptions,
    private readonly log: EngineLog = () => undefined,
    private readonly variant: GraphVariant = {},
  ) {}

  private get computeDType(): ComputeDType {
    return this.variant.computeDType ?? 'float32';
  }

  /**
   * The sessions of an analysis; `onCompile` hears first when one has yet to be opened. The
   * neuron view and the check need the gradient's factors, the check the edit graph too.
   */
  async forAnalysis(matmuls: Precision, lens: LensVariant, onCompile: () => void, needs: { factors: boolean; edit: boolean }): Promise<AnalysisSessions> {
    const pending = [this.gradient(matmuls, needs.factors), this.lens(lens), ...(needs.edit ? [this.edit(matmuls)] : [])];
    if (!pending.every((session) => this.opened.has(session))) onCompile();
    const [gradient, lensSession, edit] = await Promise.all(pending);
    return { gradient, lens: lensSession, edit };
  }

  /** `factors`: a graph that also outputs the FF1 VJPs and FF2 inputs (neurons, edits, checks read them; another session, as they cost memory). */
  gradient(matmuls: Precision = 'float32', factors = false): Promise<GraphSession> {
    const factorOutputs = factors || this.variant.factorOutputs;
    const key = `gradient${matmuls === 'float16' ? ' float16-matmuls' : ''}${factorOutputs ? ' factors' : ''}`;
    const build = (provider: ExecutionProviderName) =>
      buildGradientGraph(this.model, this.computeDType, { factorOutputs, matmuls, unembedding: this.unembeddingSource(provider, 'float32') });
    // QuickGeluFusion, without CSE, rewrites the recomputed SiLU alone into com.microsoft.QuickGelu, which has no float64 kernel.
    const withoutCse = ['CommonSubexpressionElimination', ...(this.computeDType === 'float64' ? ['QuickGeluFusion'] : [])];
    const disabled = [...(this.keepsRecomputations ? withoutCse : []), ...this.float64Fusions];
    return this.session(key, build, { prepackWeights: false, memoryArena: false, disabledOptimizers: disabled });
  }

  /** The forward pass with low-rank update inputs on every MLP weight (see buildEditGraph). */
  edit(matmuls: Precision = 'float32'): Promise<GraphSession> {
    const key = `edit${matmuls === 'float16' ? ' float16-matmuls' : ''}`;
    const build = (provider: ExecutionProviderName) =>
      buildEditGraph(this.model, this.computeDType, { matmuls, unembedding: this.unembeddingSource(provider, 'float32'), ff1Outputs: this.variant.factorOutputs });
    // QuickGeluFusion rewrites SiLU into com.microsoft.QuickGelu, which has no float64 kernel.
    const disabled = this.computeDType === 'float64' ? ['QuickGeluFusion', ...this.float64Fusions] : [];
    return this.session(key, build, { prepackWeights: false, memoryArena: false, disabledOptimizers: disabled });
  }

  /**
   * Fusions a float64 graph must not have: MatMulScaleFusion folds attention's 1/√hd into
   * com.microsoft.FusedMatMul's float32 alpha, which rounds it unless hd is a power of 4 (a
   * head_dim of 8 moved the reference test's log-probabilities by 5·10⁻¹⁰ instead of 6·10⁻¹²).
   */
  private get float64Fusions(): string[] {
    return this.computeDType === 'float64' ? ['MatMulScaleFusion'] : [];
  }

  lens(lens: LensVariant): Promise<GraphSession> {
    const key = `${lens.normalized ? 'normalized' : 'paper'} lens${lens.projection === 'float16' ? ' float16' : ''}`;
    const build = (provider: ExecutionProviderName) =>
      buildLensGraph(this.model, { computeDType: this.computeDType, ...lens, unembedding: this.unembeddingSource(provider, lens.projection) });
    return this.session(key, build, { prepackWeights: true, memoryArena: true, disabledOptimizers: [] });
  }

  async dispose(): Promise<void> {
    const sessions = await Promise.allSettled(this.compiled.values());
    this.compiled.clear();
    this.unembedding = undefined;
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.live.session.release();
  }

  private get keepsRecomputations(): boolean {
    const { layers, intermediateSize } = this.model.config;
    return this.variant.keepRecomputations ?? layers * intermediateSize * 4 >= KEEP_RECOMPUTATIONS_FROM_BYTES_PER_TOKEN;
  }

  /**
   * On the CPU both sessions are fed D from one buffer instead of each holding a copy (GPT-2 small:
   * 147 MB less, for 2–4 % more warm time); a GPU session keeps D on the device as an initializer.
   */
  /** Where the weights will live: the provider that ran once a session is open; before, the one asked for (auto plans for the CPU's RAM). */
  get plannedProvider(): ExecutionProviderName {
    return this.providerKnown || this.options.executionProvider !== 'cuda' ? this.executionProvider : 'cuda';
  }

  private unembeddingSource(provider: ExecutionProviderName, projection: Precision): UnembeddingSource {
    // A float16 lens keeps D an initializer on the CPU too: fed, its log-probabilities missed the
    // float64 lens by 2·10⁻⁴, onnxruntime having no CPU float16 Gemm and rewriting the casts around it.
    return this.variant.unembedding ?? (provider === 'cpu' && projection === 'float32' ? 'input' : 'initializer');
  }

  /** Compiles a graph and opens its session once; later calls reuse it. */
  private session(key: string, build: (provider: ExecutionProviderName) => Graph, layout: SessionLayout): Promise<GraphSession> {
    let pending = this.compiled.get(key);
    if (!pending) {
      const opening = this.open(key, build, layout);
      opening.then(
        () => this.opened.add(opening),
        () => this.compiled.delete(key),
      );
      this.compiled.set(key, opening);
      pending = opening;
    }
    return pending;
  }

  private async open(key: string, build: (provider: ExecutionProviderName) => Graph, layout: SessionLayout): Promise<GraphSession> {
    const started = performance.now();
    // Started first, so that D is read on its own thread while onnxruntime creates the session on this one.
    if (this.plannedProvider === 'cpu') void this.unembeddingValues();
    const live = await createLiveSession({
      graphFor: (provider) => toOnnxBytes(build(provider), `backward-lens-${key.replace(/ /g, '-')}`),
      weightFiles: this.model.weightFiles,
      executionProvider: this.options.executionProvider ?? 'auto',
      cacheDir: this.options.cacheDir ?? defaultCacheDir(),
      weightData: this.variant.weightData,
      ...layout,
    });
    this.executionProvider = live.executionProvider;
    this.executionProviderNote = live.executionProviderNote;
    this.providerKnown = true;
    // A GPU session keeps D on the device: a copy read in case the CPU ran is not needed.
    if (live.executionProvider !== 'cpu') this.unembedding = undefined;
    const compileMs = performance.now() - started;
    this.log(
      `compiled the ${key} graph of ${this.model.name} on ${live.executionProvider} in ${compileMs.toFixed(0)} ms, weights via ${live.weightsVia}${live.executionProviderNote ? `; ${live.executionProviderNote}` : ''}`,
    );
    return new GraphSession(live, this.computeDType, await this.unembeddingFeeds(live.session));
  }

  /** D for a session whose graph takes it as inputs: the whole of it, and (the lens) a view per vocabulary chunk. */
  private async unembeddingFeeds(session: ort.InferenceSession): Promise<Feeds> {
    if (!session.inputNames.includes(IO.unembedding)) return {};
    const { vocabSize, hiddenSize: d } = this.model.config;
    const values = await this.unembeddingValues();
    const feeds: Feeds = { [IO.unembedding]: new ort.Tensor('float32', values, [vocabSize, d]) };
    for (const { first, size } of vocabChunks(vocabSize)) {
      const name = unembeddingChunkName(first);
      if (session.inputNames.includes(name)) feeds[name] = new ort.Tensor('float32', values.subarray(first * d, (first + size) * d), [size, d]);
    }
    return feeds;
  }

  /** D as float32, read once (on a thread of its own) and shared by every CPU session's feeds; a failed read is tried again next time. */
  private unembeddingValues(): Promise<Float32Array> {
    if (!this.unembedding) {
      const ref = this.model.weights[unembeddingName(this.model.config)];
      const replaced = this.variant.weightData?.[this.model.weightFiles.indexOf(ref.file)];
      const reading = replaced ? Promise.resolve().then(() => readWeightValues(ref, replaced)) : readWeightValuesOffThread(ref);
      // Handled here too: a read nobody awaits (a session on the GPU took none) must not end the process.
      reading.catch(() => {
        if (this.unembedding === reading) this.unembedding = undefined;
      });
      this.unembedding = reading;
    }
    return this.unembedding;
  }
}
