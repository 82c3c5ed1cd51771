/**
 * The Engine: one loaded model and its sessions, turning requests into BackwardLensResult objects
 * by the paper's pipeline — the loss, the gradient pass, the lens over every x_i and δ_i.
 */
import { IO } from '../graph/backwardLensGraph';
import type { ModelDescription } from '../model/description';
import type { BackwardLensResult, ExecutionProviderName, GradientCheck, NeuronView, Precision, ScoredToken } from '../result/schema';
import type { AnalysisRequest, EditRequest, EditResult, EditSweepRequest, EditSweepResult, Engine, EngineLog, RunControl } from './api';
import { assembleResult } from './assembleResult';
import { EditContext, previewEdit, sweepEdit } from './edit';
import { assertFinite } from './finiteCheck';
import { gradientCheck } from './gradientCheck';
import { Floats, gradientGraphOutputs, GradientPass, runGradientPass } from './gradientPass';
import { runLens } from './lensRuns';
import { LossPlan, planLoss, planPrediction } from './lossPlan';
import { planMemory, refuseUnlessFits, type MemoryPlan } from './memoryPlan';
import { neuronView } from './neurons';
import type { AnalysisSessions, SessionCache } from './sessionCache';
import { TokenTexts } from './tokenTexts';
import { validateEdit, validateSweep } from './validateEdit';
import { validateRequest, ValidRequest } from './validateRequest';

export class BackwardLensEngine implements Engine {
  private readonly tokens: TokenTexts;

  constructor(
    private readonly model: ModelDescription,
    private readonly weightsSha256: string,
    private readonly sessions: SessionCache,
    private readonly log: EngineLog = () => undefined,
  ) {
    this.tokens = new TokenTexts(model.tokenizer);
  }

  get modelName(): string {
    return this.model.name;
  }

  get executionProvider(): ExecutionProviderName {
    return this.sessions.executionProvider;
  }

  get executionProviderNote(): string | undefined {
    return this.sessions.executionProviderNote;
  }

  get contextLength(): number {
    return this.model.config.contextLength;
  }

  /** What an analysis of `tokens` tokens needs in memory, against what is free: the provider that ran, or the one asked for. */
  async memoryPlan(tokens: number, matmuls: Precision = 'float32'): Promise<MemoryPlan> {
    return this.plan(tokens, matmuls, 0);
  }

  /** An open engine already holds its weights: on the CPU its own resident memory is available to it again. */
  private plan(tokens: number, matmuls: Precision, extraSessions: number): MemoryPlan {
    const provider = this.sessions.plannedProvider;
    return planMemory(this.model, provider, matmuls, tokens, extraSessions, provider === 'cpu' ? process.memoryUsage.rss() : 0);
  }

  async countTokens(text: string): Promise<number> {
    return (this.model.tokenizer.bosId === undefined ? 0 : 1) + this.model.tokenizer.encode(text).length;
  }

  async analyze(analysisRequest: AnalysisRequest, control: RunControl = {}): Promise<BackwardLensResult> {
    const request = validateRequest(analysisRequest, this.model.config);
    const plan = planLoss(this.model.tokenizer, request);
    const needs = { factors: request.neurons > 0 || request.check, edit: request.check };
    refuseUnlessFits(this.plan(plan.inputIds.length, request.matmuls, Number(needs.factors) + Number(needs.edit)), this.model.name);
    const waitStarted = performance.now();
    const sessions = await this.sessions.forAnalysis(request.matmuls, request.lens, () => control.onProgress?.({ stage: 'compile' }), needs);
    // Wall time, not the sum of the sessions' compile times: they are built concurrently.
    const compileMs = performance.now() - waitStarted;
    const started = performance.now();
    control.onProgress?.({ stage: 'gradient' });
    const gradients = await runGradientPass(sessions.gradient, plan, request.topK, needs.factors);
    assertFinite(gradients, this.model.name, plan.inputIds.length, this.model.config.hiddenSize);
    const cells = { ff1: gradients.ff1Input, ff2: gradients.ff2Vjp, width: this.model.config.hiddenSize, rankIds: plan.rankIds, topK: request.topK };
    const readout = await runLens(sessions.lens, cells, control);
    const experiments = await this.experiments(request, plan, gradients, sessions, control);
    const runMs = performance.now() - started;
    this.log(`analysed ${plan.inputIds.length} tokens in ${runMs.toFixed(1)} ms`);
    return assembleResult({
      model: this.model,
      weightsSha256: this.weightsSha256,
      request,
      plan,
      gradients,
      lens: readout,
      ranOn: sessions.lens.live,
      timings: { compileMs, runMs },
      tokens: this.tokens,
      ...experiments,
    });
  }

  /** The neuron view and the gradient check, where the request asks for them. */
  private async experiments(request: ValidRequest, plan: LossPlan, gradients: GradientPass, sessions: AnalysisSessions, control: RunControl): Promise<{ neurons?: NeuronView; check?: GradientCheck }> {
    const neuronParts = { model: this.model, gradients, T: plan.inputIds.length, lens: sessions.lens, count: request.neurons, eta: request.eta, topK: request.topK, tokens: this.tokens };
    const neurons = request.neurons > 0 ? await neuronView({ ...neuronParts, rankId: plan.lossTargetIds[0] }, control) : undefined;
    const check = request.check ? await gradientCheck({ model: this.model, gradients, plan, edit: sessions.edit! }, control) : undefined;
    return { neurons, check };
  }

  async edit(request: EditRequest, control: RunControl = {}): Promise<EditResult> {
    return previewEdit(this.editContext, validateEdit(request, this.model.config), control);
  }

  async sweepEdit(request: EditSweepRequest, control: RunControl = {}): Promise<EditSweepResult> {
    return sweepEdit(this.editContext, validateSweep(request, this.model.config), control);
  }

  private get editContext(): EditContext {
    return { model: this.model, sessions: this.sessions, tokens: this.tokens };
  }

  async predictNext(prompt: string, k: number): Promise<ScoredToken[]> {
    const plan = planPrediction(this.model.tokenizer, prompt, this.model.config.contextLength);
    const out = await gradientGraphOutputs(await this.sessions.gradient(), plan, [IO.predictionIds, IO.predictionLogProbs], k);
    return this.tokens.scored(out[IO.predictionIds] as BigInt64Array, out[IO.predictionLogProbs] as Floats);
  }

  dispose(): Promise<void> {
    return this.sessions.dispose();
  }
}
