/**
 * A panel restored after a reload hands back the state its page persisted. That state is
 * data from disk, like an opened file, so its result passes the same validateResult (schema,
 * cross-field facts, size bounds) before the host keeps it or any page draws it. No VS Code import.
 */
import { parseOrigin, parsePersistedState, type ResultOrigin } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { validateResult } from '../result/validate';

export type Restored = { shown?: { result: BackwardLensResult; origin?: ResultOrigin }; problem?: string };

export function restoredShown(state: unknown): Restored {
  const show = parsePersistedState(state)?.show;
  if (!show) return {};
  try {
    return { shown: { result: validateResult(show.result), origin: parseOrigin(show.origin) } };
  } catch (err) {
    return { problem: `The restored panel's result was not shown. ${err instanceof Error ? err.message : String(err)}` };
  }
}
