/**
 * Validation of the enumerated request options (loss modes, providers, precisions, top-k), shared
 * by the engine, the CLI and the settings so that their allowed values and messages cannot drift.
 * The lists themselves stand beside their types (result/schema.ts, engine/api.ts).
 */
import { TOP_K_RANGE } from './api';

export function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/** "a, b or c". */
export function choiceList(allowed: readonly string[]): string {
  return allowed.length < 2 ? allowed.join('') : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
}

/** Why `value` is not one of `allowed` (undefined when it is), naming the option as the front end spells it. */
export function choiceProblem(name: string, value: unknown, allowed: readonly string[]): string | undefined {
  return isOneOf(value, allowed) ? undefined : `${name} must be ${choiceList(allowed)}, not ${JSON.stringify(value)}`;
}

/** The largest top-k a model allows: the range's end, or its vocabulary when smaller. */
export function maxTopK(vocabSize = Infinity): number {
  return Math.min(vocabSize, TOP_K_RANGE.max);
}

export function topKProblem(name: string, value: unknown, vocabSize?: number): string | undefined {
  return wholeNumberProblem(name, value, TOP_K_RANGE.min, maxTopK(vocabSize));
}

export function wholeNumberProblem(name: string, value: unknown, min: number, max: number): string | undefined {
  const ok = typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
  return ok ? undefined : `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`;
}

export function positiveProblem(name: string, value: unknown): string | undefined {
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0;
  return ok ? undefined : `${name} must be a positive number, not ${JSON.stringify(value)}`;
}
