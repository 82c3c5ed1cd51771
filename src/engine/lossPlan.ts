/**
 * What the graph is fed for each loss mode. All three are L = Σ_i w_i · −log p(target_i | ≤ i)
 * over the input positions i; the modes differ only in the tokens, targets and weights:
 * - paper: prompt only; the target's first token at the last prompt position (weight 1);
 * - continuation: prompt + target[:-1], teacher-forced, mean over the target tokens;
 * - text: the selection itself, mean over every next-token prediction.
 */
import type { Tokenizer } from '../tokenizer/tokenizer';
import type { LossMode } from '../result/schema';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface LossPlan {
  inputIds: number[];
  /** The token each position is scored against (0 where it carries no loss). */
  targetIds: number[];
  lossWeights: number[];
  rankIds: number[];
  /** Position whose next-token prediction is reported: the last prompt position. */
  predictPosition: number;
  /** The ids the loss is taken on, in order. */
  lossTargetIds: number[];
}

export interface PlanRequest {
  prompt: string;
  target: string;
  lossMode: LossMode;
  maxTokens: number;
}

export function planLoss(tokenizer: Tokenizer, request: PlanRequest): LossPlan {
  const promptIds = promptTokens(tokenizer, request.prompt, request.maxTokens);
  const plan = request.lossMode === 'text' ? planText(promptIds, true) : planTarget(tokenizer, request, promptIds);
  if (plan.inputIds.length > request.maxTokens) {
    throw new InputError(
      `The input is ${plan.inputIds.length} tokens but at most ${request.maxTokens} are allowed; select less text (or raise the limit, up to the model's context).`,
    );
  }
  return plan;
}

/** Only the next-token prediction after `prompt` is wanted: no position carries loss. */
export function planPrediction(tokenizer: Tokenizer, prompt: string, maxTokens: number): LossPlan {
  const plan = planText(promptTokens(tokenizer, prompt, maxTokens), false);
  return { ...plan, lossWeights: plan.lossWeights.map(() => 0), lossTargetIds: [] };
}

/**
 * Normalizers can shrink a text (NFKC composes accents), so a text of more characters than this
 * many longest pieces per allowed token is refused untokenized: a 100 KB selection answers at once.
 */
const CHARACTERS_PER_PIECE_MARGIN = 4;

function promptTokens(tokenizer: Tokenizer, prompt: string, maxTokens: number): number[] {
  if (prompt.trim() === '') throw new InputError('The prompt is empty: select some text (or pass --prompt "…").');
  const maxCharacters = maxTokens * tokenizer.longestPiece * CHARACTERS_PER_PIECE_MARGIN;
  if (prompt.length > maxCharacters) {
    throw new InputError(
      `The input is ${prompt.length} characters, far more than the at most ${maxTokens} tokens allowed; select less text (or raise the limit, up to the model's context).`,
    );
  }
  const bos = tokenizer.bosId === undefined ? [] : [tokenizer.bosId];
  const ids = [...bos, ...tokenizer.encode(prompt)];
  if (ids.length > maxTokens) {
    throw new InputError(
      `The input is ${ids.length} tokens but at most ${maxTokens} are allowed; select less text (or raise the limit, up to the model's context).`,
    );
  }
  return ids;
}

function planText(ids: number[], needsLoss: boolean): LossPlan {
  const scored = ids.length - 1;
  if (needsLoss && scored < 1) throw new InputError('Training text needs at least two tokens so one can be predicted from another; select more text.');
  const next = ids.slice(1);
  return {
    inputIds: ids,
    targetIds: [...next, 0],
    lossWeights: ids.map((_, i) => (i < scored ? 1 / scored : 0)),
    // The last position has no next token in the selection: its column reports its own token.
    rankIds: [...next, ids[ids.length - 1]],
    predictPosition: ids.length - 1,
    lossTargetIds: next,
  };
}

function planTarget(tokenizer: Tokenizer, request: PlanRequest, promptIds: number[]): LossPlan {
  const targetIds = continuationIds(tokenizer, request.prompt, request.target);
  if (targetIds.length === 0) throw new InputError('The target is empty after tokenization: give the word(s) the model should learn to say.');
  const last = promptIds.length - 1;
  const scoredTargets = request.lossMode === 'paper' ? targetIds.slice(0, 1) : targetIds;
  const inputIds = [...promptIds, ...scoredTargets.slice(0, -1)];
  const lossWeights = inputIds.map(() => 0);
  const perPositionTarget = inputIds.map(() => 0);
  const rankIds = inputIds.map(() => scoredTargets[0]);
  scoredTargets.forEach((id, j) => {
    lossWeights[last + j] = 1 / scoredTargets.length;
    perPositionTarget[last + j] = id;
    rankIds[last + j] = id;
  });
  return { inputIds, targetIds: perPositionTarget, lossWeights, rankIds, predictPosition: last, lossTargetIds: scoredTargets };
}

/**
 * The target's ids as they continue the prompt. A target without leading whitespace gets one
 * space (the paper's convention: " Paris" after "… grew up in") unless the prompt already ends
 * with whitespace; the ids are those that
 * tokenizing prompt + target adds after the prompt's own ids, so merges across the boundary and
 * tokenizers that prepend their own space both come out right.
 */
export function continuationIds(tokenizer: Tokenizer, prompt: string, target: string): number[] {
  if (target.trim() === '') return [];
  const spaced = /^\s/.test(target) || /\s$/.test(prompt) ? target : ` ${target}`;
  const alone = tokenizer.encode(prompt);
  const joined = tokenizer.encode(prompt + spaced);
  const sharesPrefix = alone.every((id, i) => joined[i] === id);
  return sharesPrefix ? joined.slice(alone.length) : tokenizer.encode(spaced);
}
