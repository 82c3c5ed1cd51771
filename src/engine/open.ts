import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelDescription } from '../model/description';
import { loadModel } from '../model/load';
import { planMemory, refuseUnlessFits } from './memoryPlan';
import type { EngineLog, EngineOptions } from './api';
import { BackwardLensEngine } from './engine';
import { defaultCacheDir } from './session';
import { SessionCache } from './sessionCache';
import { weightsSha256 } from './weightsHash';

export async function openEngine(modelPath: string, options: EngineOptions = {}, log?: EngineLog): Promise<BackwardLensEngine> {
  return openEngineFor(await loadModel(modelPath), options, log);
}

/** An engine for a model already loaded (the benchmark reads its tokenizer and sizes first). */
export async function openEngineFor(model: ModelDescription, options: EngineOptions = {}, log?: EngineLog): Promise<BackwardLensEngine> {
  // The weights alone, before anything is hashed or compiled: a model that cannot fit is refused at once.
  refuseUnlessFits(planMemory(model, options.executionProvider === 'cuda' ? 'cuda' : 'cpu', 'float32', 1), model.name);
  const sha256 = await weightsSha256(model.weightFiles, options.cacheDir ?? defaultCacheDir());
  return new BackwardLensEngine(model, sha256, new SessionCache(model, options, log), log);
}

/** The embedded stories260K: packaged beside the extension, or ../shared in a source checkout. */
export function defaultModelPath(root: string): string {
  const packaged = path.join(root, 'models', 'stories260K');
  // Resolve links first: code-server loads a development extension through a symlink, and
  // ../shared sits beside the real checkout, not beside the link.
  return fs.existsSync(packaged) ? packaged : path.resolve(fs.realpathSync(root), '..', 'shared', 'models', 'stories260K');
}
