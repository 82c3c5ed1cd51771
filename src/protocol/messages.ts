/**
 * The one message vocabulary shared by the extension host and the webview UI. Both sides
 * import these types, so a renamed field breaks the build instead of silently dropping data.
 *
 * Flow: the webview posts `ready` once its script has run (a webview that is not yet loaded
 * or is hidden drops messages, so the host never pushes before that); the host answers with
 * `show`. Later requests carry an id that the host echoes in its reply, so the UI can tell a
 * stale answer from the one it is waiting for.
 */
import type { BackwardLensResult } from '../result/schema';

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
}

export interface ShowMessage {
  type: 'show';
  result: BackwardLensResult;
  origin?: ResultOrigin;
  capabilities: SurfaceCapabilities;
  /** Set when answering a webview request. */
  requestId?: number;
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

export type HostToWebview = ShowMessage | BusyMessage | ErrorMessage | SavedMessage;

export interface ReadyMessage {
  type: 'ready';
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

export type WebviewToHost = ReadyMessage | SaveRequest | RevealRequest | ReanalyzeRequest;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Narrows an untyped `postMessage` payload. The webview renders tokens chosen by a model from
 * text a user selected, so the host treats whatever arrives as data to validate, not trust.
 */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'save':
      return isInt(m.requestId) ? { type: 'save', requestId: m.requestId } : undefined;
    case 'reveal':
      return isInt(m.position) ? { type: 'reveal', position: m.position } : undefined;
    case 'reanalyze':
      return isInt(m.requestId) && typeof m.normalized === 'boolean'
        ? { type: 'reanalyze', requestId: m.requestId, normalized: m.normalized }
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
    default:
      return undefined;
  }
}

/** How the UI reads a grid: the paper reads δ by its bottom tokens, x by its top tokens. */
export type Reading = 'top' | 'bottom';

/** What the webview persists with `setState`, so a hidden or reloaded panel comes back as it was. */
export interface PersistedState {
  version: 1;
  show?: ShowMessage;
  reading: Reading;
  /** Column (input position) whose rank curve is shown next to the last position's. */
  selectedPosition?: number;
}

/** Reads a persisted state defensively: it may come from an older build of the extension. */
export function parsePersistedState(raw: unknown): PersistedState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Record<string, unknown>;
  if (s.version !== 1) return undefined;
  const show = s.show === undefined ? undefined : parseHostMessage(s.show);
  return {
    version: 1,
    show: show?.type === 'show' ? show : undefined,
    reading: s.reading === 'top' ? 'top' : 'bottom',
    selectedPosition: isInt(s.selectedPosition) ? s.selectedPosition : undefined,
  };
}
