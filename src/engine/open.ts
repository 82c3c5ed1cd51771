import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../model/load';
import type { Engine, EngineLog, EngineOptions } from './api';
import { BackwardLensEngine, EngineInternals } from './engine';
import { defaultCacheDir } from './session';
import { weightsSha256 } from './weightsHash';

export async function openEngine(modelPath: string, options: EngineOptions & EngineInternals = {}, log?: EngineLog): Promise<BackwardLensEngine & Engine> {
  const model = await loadModel(modelPath);
  const sha256 = await weightsSha256(model.weightFiles, options.cacheDir ?? defaultCacheDir());
  return new BackwardLensEngine(model, sha256, options, log);
}

/** The embedded stories260K: packaged beside the extension, or ../shared in a source checkout. */
export function defaultModelPath(root: string): string {
  const packaged = path.join(root, 'models', 'stories260K');
  // Resolve links first: code-server loads a development extension through a symlink, and
  // ../shared sits beside the real checkout, not beside the link.
  return fs.existsSync(packaged) ? packaged : path.resolve(fs.realpathSync(root), '..', 'shared', 'models', 'stories260K');
}
