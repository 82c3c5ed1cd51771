/**
 * The `backwardLens.*` settings, read through a getter so the parsing (defaults, clamping,
 * unknown enum values from hand-edited settings.json) is testable without VS Code.
 */
import { LOSS_MODES, PRECISIONS, type LossMode, type Precision } from '../result/schema';
import { EXECUTION_PROVIDER_CHOICES, TOP_K_RANGE, type ExecutionProviderChoice } from '../engine/api';
import { isOneOf } from '../engine/options';

export interface Settings {
  /** Empty means the embedded stories260K; otherwise a path or a Hugging Face id ORG/NAME[@REVISION]. */
  modelPath: string;
  executionProvider: ExecutionProviderChoice;
  topK: number;
  lossMode: LossMode;
  maxTokens: number;
  resultsFolder: string;
  projection: Precision;
  matmuls: Precision;
  /** Use the Hugging Face cache only, as HF_HUB_OFFLINE=1 does. */
  hubOffline: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  modelPath: '',
  executionProvider: 'auto',
  topK: 5,
  lossMode: 'paper',
  maxTokens: 128,
  resultsFolder: 'backward-lens',
  projection: 'float32',
  matmuls: 'float32',
  hubOffline: false,
};

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return isOneOf(value, allowed) ? value : fallback;
}

function intIn(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

export function parseSettings(get: (key: keyof Settings) => unknown): Settings {
  const str = (key: keyof Settings, fallback: string): string => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : fallback;
  };
  const bool = (key: keyof Settings, fallback: boolean): boolean => {
    const v = get(key);
    return typeof v === 'boolean' ? v : fallback;
  };
  return {
    modelPath: str('modelPath', DEFAULT_SETTINGS.modelPath),
    executionProvider: oneOf(get('executionProvider'), EXECUTION_PROVIDER_CHOICES, DEFAULT_SETTINGS.executionProvider),
    topK: intIn(get('topK'), TOP_K_RANGE.min, TOP_K_RANGE.max, DEFAULT_SETTINGS.topK),
    lossMode: oneOf(get('lossMode'), LOSS_MODES, DEFAULT_SETTINGS.lossMode),
    maxTokens: intIn(get('maxTokens'), 1, 1 << 16, DEFAULT_SETTINGS.maxTokens),
    resultsFolder: str('resultsFolder', DEFAULT_SETTINGS.resultsFolder) || DEFAULT_SETTINGS.resultsFolder,
    projection: oneOf(get('projection'), PRECISIONS, DEFAULT_SETTINGS.projection),
    matmuls: oneOf(get('matmuls'), PRECISIONS, DEFAULT_SETTINGS.matmuls),
    hubOffline: bool('hubOffline', DEFAULT_SETTINGS.hubOffline),
  };
}

/** Settings whose change invalidates the loaded engine. */
export const ENGINE_SETTINGS: readonly (keyof Settings)[] = ['modelPath', 'executionProvider'];

/**
 * Reads the optional argument of `backwardLens.analyzeSelection`. Menus pass the document's
 * URI as the first argument, so anything but a plain `{target: string}` means "ask the user".
 */
export function parseAnalyzeArgs(arg: unknown): { target?: string } {
  if (typeof arg !== 'object' || arg === null) return {};
  const target = (arg as { target?: unknown }).target;
  return typeof target === 'string' ? { target } : {};
}
