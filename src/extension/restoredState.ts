/**
 * A panel restored after a reload hands back the state its page persisted, and a reloaded page
 * sends back the reference of its compare view. That state is data from disk, like an opened
 * file, so its results pass the same validateResult (schema, cross-field facts, size bounds)
 * before the host keeps them or any page draws them. No VS Code import.
 */
import { parseOrigin, parsePersistedState, type Reference, type ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { validateResult } from '../result/validate';

export type Restored = { shown?: { result: BackwardLensResult; origin?: ResultOrigin }; problem?: string };

/** `result` validated, or why `what` was not shown. */
function validated(result: unknown, what: string): { result: BackwardLensResult } | { problem: string } {
  try {
    return { result: validateResult(result) };
  } catch (err) {
    return { problem: `${what} was not shown. ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function restoredShown(state: unknown): Restored {
  const show = parsePersistedState(state)?.show;
  if (!show) return {};
  const checked = validated(show.result, "The restored panel's result");
  return 'problem' in checked ? checked : { shown: { result: checked.result, origin: parseOrigin(show.origin) } };
}

/** The compare view's reference a reloaded page sent back, validated; one that fails is dropped, and the rest of the page stays. */
export function restoredReference(reference: Reference): { reference: Reference } | { problem: string } {
  const checked = validated(reference.result, 'The restored compare view');
  return 'problem' in checked ? checked : { reference: { label: reference.label, result: checked.result } };
}
