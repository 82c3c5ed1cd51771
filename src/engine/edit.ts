/**
 * Edit preview, in memory only: the paper's forward-pass shift or one SGD step, applied through the
 * edit graph's update inputs, with the next-token read-outs before and after on the prompt and its
 * neighbours; and the sweep over layers × η for the smallest η that makes the target the argmax.
 */
import { mlpWeightNames, unembeddingName } from '../graph/models/transformer';
import type { ModelDescription } from '../model/description';
import type { TokenInfo } from '../result/schema';
import { readWeightVectors } from '../model/weightValues';
import type { EditResult, EditSweepResult, LogitShift, NextTokenReadout, RunControl } from './api';
import { EditedPass, forwardShift, NO_UPDATES, runEdited, sgdStep, WeightUpdates } from './editRuns';
import { Floats, runGradientPass } from './gradientPass';
import { LossPlan, planLoss, planPrediction } from './lossPlan';
import { layerRows, mlpGradients } from './mlpGradients';
import { readNextToken } from './nextToken';
import type { GraphSession, SessionCache } from './sessionCache';
import type { TokenTexts } from './tokenTexts';
import type { ValidEdit } from './validateEdit';
import { dot } from './vectors';

export interface EditContext {
  model: ModelDescription;
  sessions: SessionCache;
  tokens: TokenTexts;
}

/** What an edit or a sweep starts from: the prompt's plan and its unedited pass. */
interface Start {
  plan: LossPlan;
  targetId: number;
  session: GraphSession;
  before: EditedPass;
  readout: (pass: EditedPass) => NextTokenReadout;
  targetTokens: TokenInfo[];
  /** Set when the target already is the argmax: why there is nothing to edit toward. */
  alreadyArgmax?: string;
}

async function start(ctx: EditContext, request: ValidEdit): Promise<Start> {
  const plan = planLoss(ctx.model.tokenizer, { prompt: request.prompt, target: request.target, lossMode: request.lossMode, maxTokens: request.maxTokens });
  const targetId = plan.lossTargetIds[0];
  const session = await ctx.sessions.edit(request.matmuls);
  const before = await runEdited(session, ctx.model, plan, NO_UPDATES);
  const readout = (pass: EditedPass) => readNextToken(pass.logits, targetId, request.topK, ctx.tokens);
  const alreadyArgmax = readout(before).targetRank === 0 ? `"${ctx.tokens.text(targetId)}" already is the most probable next token, so there is nothing to edit toward.` : undefined;
  const targetTokens = plan.lossTargetIds.map((id) => ({ id, text: ctx.tokens.text(id) }));
  return { plan, targetId, session, before, readout, targetTokens, alreadyArgmax };
}

export async function previewEdit(ctx: EditContext, request: ValidEdit, control: RunControl = {}): Promise<EditResult> {
  const [eta] = request.etas;
  const neighbourPlans = request.neighbours.map((prompt) => planPrediction(ctx.model.tokenizer, prompt, request.maxTokens));
  const s = await start(ctx, request);
  // The paper skips a forward shift toward the argmax; an SGD step still lowers the loss.
  const skipped = request.method === 'forward-shift' ? s.alreadyArgmax : undefined;
  const updates = skipped ? NO_UPDATES : (await updateMaker(ctx, request, s, control))(request.layers, eta);
  const after = await runEdited(s.session, ctx.model, s.plan, updates);
  const prompts = [{ prompt: request.prompt, before: s.readout(s.before), after: s.readout(after) }];
  for (const [i, plan] of neighbourPlans.entries()) {
    control.signal?.throwIfAborted();
    const neighbourBefore = await runEdited(s.session, ctx.model, plan, NO_UPDATES);
    const neighbourAfter = await runEdited(s.session, ctx.model, plan, updates);
    prompts.push({ prompt: request.neighbours[i], before: s.readout(neighbourBefore), after: s.readout(neighbourAfter) });
  }
  const reverted = await runEdited(s.session, ctx.model, s.plan, NO_UPDATES);
  return {
    method: request.method,
    layers: request.layers,
    eta,
    targetIds: s.plan.lossTargetIds,
    targetTokens: s.targetTokens,
    prompts,
    loss: { before: s.before.loss, after: after.loss },
    reverted: sameBits(reverted.logits, s.before.logits),
    ...(skipped ? { skipped } : {}),
    ...(request.method === 'forward-shift' && !skipped ? { shifts: logitShifts(ctx.model, request.layers, eta, s, after) } : {}),
  };
}

export async function sweepEdit(ctx: EditContext, request: ValidEdit, control: RunControl = {}): Promise<EditSweepResult> {
  const s = await start(ctx, request);
  const result = { method: request.method, etas: request.etas, targetIds: s.plan.lossTargetIds, targetTokens: s.targetTokens, before: s.readout(s.before) };
  if (s.alreadyArgmax) return { ...result, skipped: s.alreadyArgmax, layers: [] };
  const updatesAt = await updateMaker(ctx, request, s, control);
  const layers: EditSweepResult['layers'] = [];
  for (const layer of request.layers) {
    let found: EditSweepResult['layers'][number] = { layer, smallestEta: null };
    for (const eta of request.etas) {
      control.signal?.throwIfAborted();
      const after = s.readout(await runEdited(s.session, ctx.model, s.plan, updatesAt([layer], eta)));
      if (after.targetRank === 0) {
        found = { layer, smallestEta: eta, after };
        break;
      }
    }
    layers.push(found);
  }
  return { ...result, layers };
}

/**
 * The edit's updates for any layers and η. forward-shift: h_n from the unedited pass and e_t from
 * the unembedding. sgd: one gradient pass, whose factors give every layer's −η ∇W.
 */
async function updateMaker(ctx: EditContext, request: ValidEdit, s: Start, control: RunControl): Promise<(layers: number[], eta: number) => WeightUpdates> {
  const { model } = ctx;
  const { intermediateSize: dff } = model.config;
  if (request.method === 'forward-shift') {
    const e = targetEmbedding(model, s.targetId);
    return (layers, eta) => new Map(layers.map((l) => [mlpWeightNames(model.config, l).ff2, forwardShift(layerRows(s.before.lastFf2Input, l, 1, dff), e, eta)]));
  }
  control.onProgress?.({ stage: 'gradient' });
  const gradients = await runGradientPass(await ctx.sessions.gradient(request.matmuls, true), s.plan, 1, true);
  const T = s.plan.inputIds.length;
  return (layers, eta) => new Map(layers.flatMap((l) => [...sgdStep(mlpGradients(model, gradients, T, l), eta)]));
}

/** e_t: the unembedding row of the target's first token. */
function targetEmbedding(model: ModelDescription, targetId: number): Float32Array {
  return readWeightVectors(model.weights[unembeddingName(model.config)], [targetId], 0)[0];
}

/** The target logit's direct change through each layer's FF2 output, (Δ FF2 output)·e_t, beside η‖h_n‖²‖e_t‖². */
function logitShifts(model: ModelDescription, layers: number[], eta: number, s: Start, after: EditedPass): LogitShift[] {
  const { hiddenSize: d, intermediateSize: dff } = model.config;
  const e = targetEmbedding(model, s.targetId);
  return layers.map((layer) => {
    const change = difference(layerRows(after.lastFf2Output, layer, 1, d), layerRows(s.before.lastFf2Output, layer, 1, d));
    const h = layerRows(s.before.lastFf2Input, layer, 1, dff);
    return { layer, measured: dot(change, e), predicted: eta * dot(h, h) * dot(e, e) };
  });
}

function difference(a: Floats, b: Floats): Float64Array {
  return Float64Array.from(a, (v, i) => v - b[i]);
}

function sameBits(a: Floats, b: Floats): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
