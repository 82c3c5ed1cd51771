/**
 * The one message vocabulary shared by the extension host and the webview UI. Both sides
 * import these types, so a renamed field breaks the build instead of silently dropping data.
 *
 * Flow: the webview posts `ready` once its script has run (a webview that is not yet loaded
 * or is hidden drops messages, so the host never pushes before that); the host answers with
 * `show`, and with `reference` when the page was reloaded with a compare view open. Later requests carry an id that the host echoes in its reply, so the UI can tell a
 * stale answer from the one it is waiting for.
 */
import type { EditMethod } from '../engine/api';
import type { BackwardLensResult, SavedEdits } from '../result/schema';
import { EMPHASES, type Emphasis } from '../result/view';
import { MAX_NEIGHBOURS } from '../result/savedEdits';

/** Where the analysed text came from, so a token click can be mapped back into the editor. */
export interface ResultOrigin {
  /** The document's URI, as `Uri.toString()` writes it. */
  uri: string;
  /** Offset of the selection's start inside the document. */
  offset: number;
}

/** What the surface around the UI can do; the UI hides controls the host cannot honour. */
export interface SurfaceCapabilities {
  /** The host can re-run the analysis (e.g. with the normalized lens). */
  reanalyze: boolean;
  /** The host knows the source text and can reveal a token's range in the editor. */
  reveal: boolean;
  /** The result can be saved to the workspace. */
  save: boolean;
  /** The host keeps this session's results: the page lists them and opens one here or in a new panel. */
  history: boolean;
  /** The host can run edit previews and sweeps on the result's prompt (absent: it cannot). */
  edit?: boolean;
}

export interface ShowMessage {
  type: 'show';
  result: BackwardLensResult;
  origin?: ResultOrigin;
  capabilities: SurfaceCapabilities;
  /** The result's entry in this session's history, when the host keeps one. */
  historyId?: number;
  /** Set when answering a webview request. */
  requestId?: number;
}

/** One of this session's results, as the page lists it. */
export interface HistoryEntry {
  id: number;
  label: string;
}

export interface HistoryMessage {
  type: 'history';
  /** Most recent first. */
  entries: HistoryEntry[];
}

export interface BusyMessage {
  type: 'busy';
  /** Short description of the running step, or undefined when the host is idle again. */
  step?: string;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
  requestId?: number;
}

export interface SavedMessage {
  type: 'saved';
  /** Path shown to the user (workspace-relative where possible). */
  label: string;
  requestId?: number;
}

/** The answer to an edit or a sweep: the shown result's edits, the new run last. */
export interface EditedMessage {
  type: 'edited';
  edits: SavedEdits;
  requestId?: number;
}

/** A result to compare the shown one with. */
export interface Reference {
  /** How the page names it: its history label, or the file's path. */
  label: string;
  result: BackwardLensResult;
}

/** The answer to `compare`. */
export interface ReferenceMessage extends Reference {
  type: 'reference';
  requestId?: number;
}

export type HostToWebview = ShowMessage | BusyMessage | ErrorMessage | SavedMessage | HistoryMessage | EditedMessage | ReferenceMessage;

export interface ReadyMessage {
  type: 'ready';
  /** The compare view's reference a reloaded page had persisted: the host validates it and sends it back after `show`. */
  reference?: Reference;
}

export interface SaveRequest {
  type: 'save';
  requestId: number;
}

export interface RevealRequest {
  type: 'reveal';
  /** Index into `result.tokens`. */
  position: number;
}

export interface ReanalyzeRequest {
  type: 'reanalyze';
  requestId: number;
  normalized: boolean;
}

/** Shows a result of this session's history in this surface, or in a panel of its own that later analyses leave alone. */
export interface OpenRequest {
  type: 'open';
  historyId: number;
  newPanel: boolean;
}

/** An in-memory edit of the shown result's prompt toward its target, read out on the prompt and its neighbours. */
export interface EditChoice {
  method: EditMethod;
  layers: number[];
  eta: number;
  neighbours: string[];
}

export interface EditRunRequest {
  type: 'edit';
  requestId: number;
  choice: EditChoice;
}

/** Per layer, the smallest η of the grid that makes the target the argmax. */
export interface SweepChoice {
  method: EditMethod;
  etas: number[];
}

export interface SweepRunRequest {
  type: 'sweep';
  requestId: number;
  choice: SweepChoice;
}

/** Stops the edit or sweep this surface is running. */
export interface CancelRequest {
  type: 'cancel';
}

/** Re-runs the shown result with the paper's experiments added (the others it has are kept); answered by `show`. */
export interface ExperimentRequest extends AskedExperiments {
  type: 'experiment';
  requestId: number;
}

/** What the page can ask a re-run to add. */
export interface AskedExperiments {
  /** The neuron view: this many neurons per layer in FF1 and in FF2. */
  neurons?: number;
  /** The gradient check. */
  check?: boolean;
}

/** Asks for a result to compare the shown one with: one of this session's, or (no historyId) a `.blens.json` the user picks. */
export interface CompareRequest {
  type: 'compare';
  requestId: number;
  historyId?: number;
}

export type WebviewToHost =
  | ReadyMessage
  | SaveRequest
  | RevealRequest
  | ReanalyzeRequest
  | OpenRequest
  | EditRunRequest
  | SweepRunRequest
  | CancelRequest
  | ExperimentRequest
  | CompareRequest;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Narrows an untyped `postMessage` payload. The webview renders tokens chosen by a model from
 * text a user selected, so the host treats whatever arrives as data to validate, not trust.
 */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready': {
      const reference = parseReference(m.reference);
      return { type: 'ready', ...(reference ? { reference } : {}) };
    }
    case 'save':
      return isInt(m.requestId) ? { type: 'save', requestId: m.requestId } : undefined;
    case 'reveal':
      return isInt(m.position) ? { type: 'reveal', position: m.position } : undefined;
    case 'reanalyze':
      return isInt(m.requestId) && typeof m.normalized === 'boolean'
        ? { type: 'reanalyze', requestId: m.requestId, normalized: m.normalized }
        : undefined;
    case 'open':
      return isInt(m.historyId) && typeof m.newPanel === 'boolean' ? { type: 'open', historyId: m.historyId, newPanel: m.newPanel } : undefined;
    case 'edit':
    case 'sweep': {
      const choice = m.type === 'edit' ? parseEditChoice(m.choice) : parseSweepChoice(m.choice);
      return isInt(m.requestId) && choice ? ({ type: m.type, requestId: m.requestId, choice } as EditRunRequest | SweepRunRequest) : undefined;
    }
    case 'cancel':
      return { type: 'cancel' };
    case 'experiment':
      return isInt(m.requestId) && (m.neurons === undefined || (isInt(m.neurons) && m.neurons > 0)) && (m.check === undefined || m.check === true)
        ? { type: 'experiment', requestId: m.requestId, ...(m.neurons !== undefined ? { neurons: m.neurons } : {}), ...(m.check ? { check: true } : {}) }
        : undefined;
    case 'compare':
      return isInt(m.requestId) && (m.historyId === undefined || isInt(m.historyId))
        ? { type: 'compare', requestId: m.requestId, ...(m.historyId !== undefined ? { historyId: m.historyId } : {}) }
        : undefined;
    default:
      return undefined;
  }
}

export function parseHostMessage(raw: unknown): HostToWebview | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'show':
      return typeof m.result === 'object' && m.result !== null && typeof m.capabilities === 'object'
        ? (m as unknown as ShowMessage)
        : undefined;
    case 'busy':
      return m.step === undefined || typeof m.step === 'string' ? (m as unknown as BusyMessage) : undefined;
    case 'error':
      return typeof m.message === 'string' ? (m as unknown as ErrorMessage) : undefined;
    case 'saved':
      return typeof m.label === 'string' ? (m as unknown as SavedMessage) : undefined;
    case 'history':
      return Array.isArray(m.entries) && m.entries.every((e) => isInt(e?.id) && typeof e?.label === 'string') ? (m as unknown as HistoryMessage) : undefined;
    case 'edited': {
      const edits = m.edits as Partial<SavedEdits> | undefined;
      return Array.isArray(edits?.previews) && Array.isArray(edits?.sweeps) ? (m as unknown as EditedMessage) : undefined;
    }
    case 'reference':
      return parseReference(m) ? (m as unknown as ReferenceMessage) : undefined;
    default:
      return undefined;
  }
}

/**
 * Which side of each cell the UI emphasizes: by default what the update writes (the paper reads
 * δ by its bottom tokens, x by its top), or the top or the bottom in both grids.
 */
export type Reading = Emphasis;

/** How a grid is laid out: layers as rows (the paper's tables) or tokens as rows (long prompts). */
export type GridLayout = 'wide' | 'compact';
const GRID_LAYOUTS: readonly GridLayout[] = ['wide', 'compact'];

/**
 * What the webview persists with `setState`, so a hidden or reloaded panel comes back as it was.
 * The page draws `show` only once the host has sent it again: the host validates a restored
 * result (validateResult) before any page draws it.
 */
export interface PersistedState {
  version: 1;
  show?: ShowMessage;
  reading: Reading;
  /** Column (input position) whose rank curve is shown next to the last loss position's. */
  selectedPosition?: number;
  /** The layout the user chose; absent: chosen by the table's width. */
  layout?: GridLayout;
  /**
   * The result the shown one is compared with, drawn again only once the host has validated it.
   * A whole result: an open compare view about doubles what is persisted.
   */
  reference?: Reference;
  /** The edit form as the user left it. */
  editForm?: EditFormState;
}

/** The edit form's choices that stay while results come and go; the layers start at each result's last. */
export interface EditFormState {
  method: EditMethod;
  /** As typed: read (editForm.ts) when a run is asked for. */
  eta: string;
  neighbours: string[];
}

/** Reads a persisted state defensively: it may come from an older build of the extension, or be crafted. */
export function parsePersistedState(raw: unknown): PersistedState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Record<string, unknown>;
  if (s.version !== 1) return undefined;
  const show = s.show === undefined ? undefined : parseHostMessage(s.show);
  const layout = GRID_LAYOUTS.find((l) => l === s.layout);
  const reference = parseReference(s.reference);
  const editForm = parseEditForm(s.editForm);
  return {
    version: 1,
    show: show?.type === 'show' ? show : undefined,
    reading: EMPHASES.find((e) => e === s.reading) ?? 'update',
    selectedPosition: isInt(s.selectedPosition) ? s.selectedPosition : undefined,
    ...(layout ? { layout } : {}),
    ...(reference ? { reference } : {}),
    ...(editForm ? { editForm } : {}),
  };
}

/** A reference, if it has the shape of one; its result is validated by the host before any page draws it. */
function parseReference(raw: unknown): Reference | undefined {
  const r = raw as Partial<Reference> | null | undefined;
  return typeof r?.label === 'string' && typeof r.result === 'object' && r.result !== null ? { label: r.label, result: r.result } : undefined;
}

/** The origin of a restored result, if it has the shape of one. */
export function parseOrigin(raw: unknown): ResultOrigin | undefined {
  const o = raw as Partial<ResultOrigin> | null | undefined;
  return typeof o?.uri === 'string' && isInt(o.offset) ? { uri: o.uri, offset: o.offset } : undefined;
}

/** Typed as a record so that a new edit method must be listed here too. */
const EDIT_METHOD_NAMES: Record<EditMethod, true> = { 'forward-shift': true, sgd: true };
/** A page asks for a handful of layers and prompts; the engine checks them against the model. */
const MAX_CHOICE_ITEMS = 1024;
const MAX_PROMPT_CHARS = 1 << 20;

const isMethod = (v: unknown): v is EditMethod => typeof v === 'string' && Object.hasOwn(EDIT_METHOD_NAMES, v);
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isListOf = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.length <= MAX_CHOICE_ITEMS && v.every(item);
const isPrompt = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_PROMPT_CHARS;

function parseEditChoice(raw: unknown): EditChoice | undefined {
  const c = raw as Partial<EditChoice> | null | undefined;
  if (!isMethod(c?.method) || !isListOf(c.layers, isInt) || !isPositive(c.eta) || !isListOf(c.neighbours, isPrompt)) return undefined;
  return { method: c.method, layers: c.layers, eta: c.eta, neighbours: c.neighbours };
}

/** A persisted edit form, if its neighbours are a list the form could have built (addNeighbour): distinct, not blank, at most MAX_NEIGHBOURS. */
function parseEditForm(raw: unknown): EditFormState | undefined {
  const f = raw as Partial<EditFormState> | null | undefined;
  const neighbours = f?.neighbours;
  const listed = isListOf(neighbours, isPrompt) && neighbours.length <= MAX_NEIGHBOURS && new Set(neighbours).size === neighbours.length && neighbours.every((p) => p.trim() !== '');
  return isMethod(f?.method) && isPrompt(f.eta) && listed ? { method: f.method, eta: f.eta, neighbours } : undefined;
}

function parseSweepChoice(raw: unknown): SweepChoice | undefined {
  const c = raw as Partial<SweepChoice> | null | undefined;
  return isMethod(c?.method) && isListOf(c.etas, isPositive) && c.etas.length > 0 ? { method: c.method, etas: c.etas } : undefined;
}
