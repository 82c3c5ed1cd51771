/**
 * The Engine: one loaded model and its sessions, turning requests into BackwardLensResult objects
 * by the paper's pipeline — the loss, the gradient pass, the lens over every x_i and δ_i.
 */
import { IO } from '../graph/backwardLensGraph';
import type { ModelDescription } from '../model/description';
import type { BackwardLensResult, ExecutionProviderName, ScoredToken } from '../result/schema';
import type { AnalysisRequest, Engine, EngineLog, RunControl } from './api';
import { assembleResult } from './assembleResult';
import { assertFinite } from './finiteCheck';
import { Floats, gradientGraphOutputs, runGradientPass } from './gradientPass';
import { runLens } from './lensRuns';
import { planLoss, planPrediction } from './lossPlan';
import type { SessionCache } from './sessionCache';
import { TokenTexts } from './tokenTexts';
import { validateRequest } from './validateRequest';

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

  countTokens(text: string): number {
    return (this.model.tokenizer.bosId === undefined ? 0 : 1) + this.model.tokenizer.encode(text).length;
  }

  async analyze(analysisRequest: AnalysisRequest, control: RunControl = {}): Promise<BackwardLensResult> {
    const request = validateRequest(analysisRequest, this.model.config);
    const plan = planLoss(this.model.tokenizer, request);
    const waitStarted = performance.now();
    const [gradient, lens] = await this.sessions.forAnalysis(request.matmuls, request.lens, () => control.onProgress?.({ stage: 'compile' }));
    // Wall time, not the sum of both sessions' compile times: they are built concurrently.
    const compileMs = performance.now() - waitStarted;
    const started = performance.now();
    control.onProgress?.({ stage: 'gradient' });
    const gradients = await runGradientPass(gradient, plan, request.topK);
    assertFinite(gradients, this.model.name, plan.inputIds.length, this.model.config.hiddenSize);
    const cells = { ff1: gradients.ff1Input, ff2: gradients.ff2Vjp, width: this.model.config.hiddenSize, rankIds: plan.rankIds, topK: request.topK };
    const readout = await runLens(lens, cells, control);
    const runMs = performance.now() - started;
    this.log(`analysed ${plan.inputIds.length} tokens in ${runMs.toFixed(1)} ms`);
    return assembleResult({
      model: this.model,
      weightsSha256: this.weightsSha256,
      request,
      plan,
      gradients,
      lens: readout,
      ranOn: lens.live,
      timings: { compileMs, runMs },
      tokens: this.tokens,
    });
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
