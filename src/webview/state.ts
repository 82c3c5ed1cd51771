/**
 * The page's state, in one place: what survives a reload (kept with `setState`) and what does
 * not (the status line, the host's list of results). Every change goes through `Store.set`,
 * which persists what needs it and hands the new state to the page to draw.
 */
import {
  parsePersistedState,
  type AskedExperiments,
  type GridLayout,
  type HistoryEntry,
  type HostToWebview,
  type PersistedState,
  type Reading,
  type Reference,
  type ShowMessage,
} from '../protocol/messages';
import { editedView, editViewFor, persistedShow, type EditView } from './editState';

export interface Status {
  text: string;
  error?: boolean;
}

export interface PageState extends PersistedState {
  /** A request's progress or outcome, or the host's last error. */
  status?: Status;
  /** The step the host reports running (`busy`); it reads over `status`. */
  busyStep?: string;
  /** Requests posted and not answered yet. */
  waiting: number;
  /** This session's results, most recent first, where the host keeps them. */
  history: HistoryEntry[];
  /** The edit preview's runs and what it shows (editState). */
  edit?: EditView;
  /** The result the shown one is compared with, while the compare view is open. */
  reference?: Reference;
}

/** The state while a result is shown: what each part of the panel draws from. */
export type ShownState = PageState & { show: ShowMessage };

export const hasResult = (state: PageState): state is ShownState => state.show !== undefined;

/** One part of the panel: created once, then brought in line with every new state. */
export interface Part {
  readonly element: HTMLElement;
  update(state: ShownState): void;
}

/** What the parts may ask of the page. */
export interface Actions {
  setReading(reading: Reading): void;
  /** undefined: back to the layout the table's width chooses. */
  setLayout(layout: GridLayout | undefined): void;
  toggleColumn(position: number): void;
  reveal(position: number): void;
  save(): void;
  reanalyze(normalized: boolean): void;
  /** Shows one of this session's results here, or in a new panel. */
  openResult(historyId: number, newPanel: boolean): void;
  /** Re-runs the shown result with the neuron view (N per list and layer) or the gradient check added. */
  runExperiments(experiments: AskedExperiments): void;
  /** Compares the shown result with one of this session's, or (no id) a saved file the user picks. */
  compareWith(historyId: number | undefined): void;
  closeCompare(): void;
}

/** The subset of the webview API that keeps state across reloads. */
export interface StateStorage {
  getState(): unknown;
  setState(state: PersistedState): void;
}

export class Store {
  private current: PageState;
  /** The compare view's reference as persisted: the page asks the host to validate it and send it back (`ready`). */
  readonly persistedReference: Reference | undefined;

  constructor(
    private readonly storage: StateStorage,
    private readonly onChange: (state: PageState) => void,
  ) {
    // The persisted results are not drawn: the host validates them and sends them back on `ready`.
    const persisted = parsePersistedState(storage.getState()) ?? { version: 1, reading: 'update' };
    this.persistedReference = persisted.reference;
    this.current = { ...persisted, show: undefined, reference: undefined, waiting: 0, history: [] };
  }

  get state(): PageState {
    return this.current;
  }

  set(changes: Partial<PageState>): void {
    const before = this.current;
    this.current = { ...before, ...changes };
    if (persistedChanged(before, this.current)) this.storage.setState(persistedState(this.current));
    this.onChange(this.current);
  }
}

const PERSISTED_KEYS = ['show', 'reading', 'selectedPosition', 'layout', 'reference', 'editForm'] as const;

const persistedChanged = (before: PageState, after: PageState): boolean =>
  PERSISTED_KEYS.some((key) => before[key] !== after[key]) || before.edit?.edits !== after.edit?.edits;

/** What `setState` keeps: the shown result with its edits, the compare view's reference, the user's choices. */
function persistedState(state: PageState): PersistedState {
  const { version, show, reading, selectedPosition, layout, edit, reference, editForm } = state;
  return { version, show: persistedShow(show, edit), reading, selectedPosition, ...(layout ? { layout } : {}), ...(reference ? { reference } : {}), ...(editForm ? { editForm } : {}) };
}

/** What a host message changes, whether it answers a request or comes unasked. */
export function changesFor(state: PageState, message: HostToWebview): Partial<PageState> {
  switch (message.type) {
    case 'show': {
      const selected = state.selectedPosition;
      return {
        show: message,
        selectedPosition: selected !== undefined && selected < message.result.tokens.length ? selected : undefined,
        status: undefined,
        busyStep: undefined,
        edit: editViewFor(message),
      };
    }
    case 'busy':
      return { busyStep: message.step };
    case 'error':
      return { busyStep: undefined, status: { text: message.message, error: true }, ...(state.edit ? { edit: { ...state.edit, running: undefined } } : {}) };
    case 'saved':
      return { status: { text: `Saved ${message.label}` } };
    case 'history':
      return { history: message.entries };
    case 'edited':
      return { edit: editedView(message, state.edit), status: undefined };
    case 'reference':
      return { reference: { label: message.label, result: message.result }, status: undefined };
  }
}

/** The status line's text while the page is busy: the host's step, else the waiting request's own words. */
export function busyText(state: PageState): string | undefined {
  return state.busyStep ?? (state.waiting > 0 && state.status ? state.status.text : undefined);
}
