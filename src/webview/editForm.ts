/**
 * The edit form's text boxes read into an edit or a sweep: layers, η, the η grid and the list
 * of neighbour prompts. Each reader returns the value or a sentence saying what to type instead.
 * No DOM here, so it tests in Node.
 */
import type { EditChoice, EditFormState, SweepChoice } from '../protocol/messages';
import type { EditMethod } from '../engine/api';
import { MAX_NEIGHBOURS } from '../result/savedEdits';

export type Read<T> = { value: T } | { problem: string };

/** Log-spaced, three values a decade: wide enough for stories260K's layers and for larger models. */
export const DEFAULT_ETA_GRID = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100];
export const DEFAULT_ETA = 0.3;
export const DEFAULT_EDIT_FORM: EditFormState = { method: 'forward-shift', eta: String(DEFAULT_ETA), neighbours: [] };

const numbers = (text: string): string[] => text.split(/[\s,]+/).filter((part) => part !== '');

export function readLayers(text: string, layerCount: number): Read<number[]> {
  const parts = numbers(text);
  const layers = parts.map(Number);
  const valid = parts.length > 0 && parts.every((p) => /^\d+$/.test(p)) && layers.every((l) => l < layerCount) && new Set(layers).size === layers.length;
  return valid ? { value: layers } : { problem: `Layers: type distinct layer numbers from 0 to ${layerCount - 1}, e.g. "${layerCount - 1}" or "1, 3".` };
}

const positive = (part: string): number => (/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(part) ? Number(part) : NaN);

export function readEta(text: string): Read<number> {
  const parts = numbers(text);
  const eta = parts.length === 1 ? positive(parts[0]) : NaN;
  return eta > 0 && Number.isFinite(eta) ? { value: eta } : { problem: `η: type one positive number, e.g. "${DEFAULT_ETA}", not "${text.trim()}".` };
}

/** Ascending and without repeats, as the sweep reports it. */
export function readEtaGrid(text: string, maxEtas: number): Read<number[]> {
  const etas = [...new Set(numbers(text).map(positive))].sort((a, b) => a - b);
  const valid = etas.length > 0 && etas.length <= maxEtas && etas.every((eta) => eta > 0 && Number.isFinite(eta));
  return valid ? { value: etas } : { problem: `η grid: type 1 to ${maxEtas} positive numbers separated by commas, e.g. "${DEFAULT_ETA_GRID.slice(0, 4).join(', ')}".` };
}

/** `list` with `prompt` added: blank prompts, repeats and prompts past MAX_NEIGHBOURS are refused. */
export function addNeighbour(list: readonly string[], prompt: string): Read<string[]> {
  if (prompt.trim() === '') return { problem: 'Type a neighbour prompt first: a paraphrase (its target should move) or an unrelated prompt (it should not).' };
  if (list.includes(prompt)) return { problem: 'That neighbour prompt is already listed.' };
  if (list.length >= MAX_NEIGHBOURS) return { problem: `At most ${MAX_NEIGHBOURS} neighbour prompts: remove one first.` };
  return { value: [...list, prompt] };
}

export const removeNeighbour = (list: readonly string[], index: number): string[] => list.filter((_, i) => i !== index);

export interface EditFormText extends EditFormState {
  layers: string;
}

export function readEditChoice(form: EditFormText, layerCount: number): Read<EditChoice> {
  const layers = readLayers(form.layers, layerCount);
  if ('problem' in layers) return layers;
  const eta = readEta(form.eta);
  if ('problem' in eta) return eta;
  return { value: { method: form.method, layers: layers.value, eta: eta.value, neighbours: [...form.neighbours] } };
}

export function readSweepChoice(method: EditMethod, grid: string, maxEtas: number): Read<SweepChoice> {
  const etas = readEtaGrid(grid, maxEtas);
  return 'problem' in etas ? etas : { value: { method, etas: etas.value } };
}
