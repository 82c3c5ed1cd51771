/**
 * This session's results, most recent first, so that any of them can be shown again after a
 * later analysis replaced it. Kept in memory only (a reload starts a new list with the restored
 * panels' results), and only the latest LIMIT: each holds a whole result. No VS Code import.
 */
import type { HistoryEntry } from '../protocol/messages';
import type { BackwardLensResult } from '../result/schema';
import { resultLabel } from '../result/view';

export class ResultHistory<T extends { result: BackwardLensResult }> {
  static readonly LIMIT = 20;
  private kept: (T & { historyId: number })[] = [];
  private nextId = 1;

  /** Adds `item` and returns it with its id. */
  keep(item: T): T & { historyId: number } {
    const entry = { ...item, historyId: this.nextId++ };
    this.kept = [entry, ...this.kept].slice(0, ResultHistory.LIMIT);
    return entry;
  }

  /** Puts `item` in place of the kept entry with its id (a result that gained edits); gone entries stay gone. */
  replace(item: T & { historyId: number }): void {
    this.kept = this.kept.map((entry) => (entry.historyId === item.historyId ? item : entry));
  }

  get(historyId: number): (T & { historyId: number }) | undefined {
    return this.kept.find((entry) => entry.historyId === historyId);
  }

  entries(): HistoryEntry[] {
    return this.kept.map((entry) => ({ id: entry.historyId, label: resultLabel(entry.result) }));
  }
}
