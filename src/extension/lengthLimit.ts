/**
 * The token limit of an analysis, checked on the selection before the target box opens, and
 * said once with what sets it: the `backwardLens.maxTokens` setting, the model's context, or
 * the most a result may hold. No VS Code import, so it is unit-tested.
 */
import { RESULT_LIMITS } from '../result/validate';

const count = (n: number): string => n.toLocaleString('en-US');

/** The smallest of the three limits, and what a message says about it. */
export function tokenLimit(maxTokens: number, contextLength: number): { limit: number; source: 'setting' | 'context' | 'result' } {
  if (maxTokens <= contextLength && maxTokens <= RESULT_LIMITS.tokens) return { limit: maxTokens, source: 'setting' };
  return contextLength <= RESULT_LIMITS.tokens ? { limit: contextLength, source: 'context' } : { limit: RESULT_LIMITS.tokens, source: 'result' };
}

/** Why a selection of `tokens` input positions cannot be analysed, or undefined when it can. */
export function lengthProblem(tokens: number, maxTokens: number, contextLength: number): string | undefined {
  const { limit, source } = tokenLimit(maxTokens, contextLength);
  if (tokens <= limit) return undefined;
  const is = `The selection is ${count(tokens)} tokens`;
  switch (source) {
    case 'setting':
      return `${is}; at most ${count(limit)} are allowed by the backwardLens.maxTokens setting. Select less text, or raise backwardLens.maxTokens (up to the model's context, ${count(contextLength)}).`;
    case 'context':
      return `${is}; the model reads at most ${count(limit)} (its context; backwardLens.maxTokens is ${count(maxTokens)}). Select less text.`;
    case 'result':
      return `${is}; a result holds at most ${count(limit)} (backwardLens.maxTokens is ${count(maxTokens)}). Select less text.`;
  }
}
