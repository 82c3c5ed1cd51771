/**
 * What the model picker lists and checks, without VS Code: the cached Hugging Face models this
 * extension can run, with their facts, and whether a choice loads (config.json, safetensors
 * headers and tokenizer are read; the weights are not). Unit-tested.
 */
import { listCachedModels } from '../hub/cachedModels';
import { formatBytes, formatCount } from '../hub/formatSizes';
import { resolvedWithoutDownload } from '../hub/resolveModel';
import { planMemory } from '../engine/memoryPlan';
import { inspectHuggingFace } from '../model/huggingface';
import { loadModel } from '../model/load';

export interface CachedChoice {
  label: string;
  /** Architecture and parameters: short, as the line beside the id has little room. */
  description: string;
  /** Dtype, size on disk, the memory an analysis needs, and the snapshot folder last, where a long line is cut. */
  detail: string;
  /** What the modelPath setting is set to: the id. */
  reference: string;
}

/** The memory an analysis of `tokens` tokens would need on the CPU, from the headers alone. */
function memoryNote(folder: string, tokens: number): string {
  const plan = planMemory(inspectHuggingFace(folder), 'cpu', 'float32', tokens);
  const needs = `needs ≈ ${formatBytes(plan.total)} RAM at ${tokens} tokens`;
  return plan.fits === false ? `${needs}, more than the ${formatBytes(plan.available!.bytes)} free` : needs;
}

export function cachedChoices(cacheDir: string, maxTokens: number): CachedChoice[] {
  return listCachedModels(cacheDir).models.map((model) => ({
    label: model.reference,
    description: `${model.architecture} · ${formatCount(model.parameters)} parameters`,
    detail: `${model.dtype} · ${formatBytes(model.sizeOnDisk)} · ${memoryNote(model.folder, maxTokens)} · ${model.folder}`,
    reference: model.reference,
  }));
}

/** Whether `reference` is a hub id whose files are not all cached yet. */
export function needsDownload(reference: string, cacheDir: string): boolean {
  return resolvedWithoutDownload(reference, cacheDir) === undefined;
}

/** Why `reference` (a path, or a cached hub id) cannot be used, or undefined when it loads. */
export async function modelProblem(reference: string, cacheDir: string): Promise<string | undefined> {
  const folder = resolvedWithoutDownload(reference, cacheDir);
  if (!folder) return `${reference} is not downloaded yet.`;
  try {
    await loadModel(folder);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
