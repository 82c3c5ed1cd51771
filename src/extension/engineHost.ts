/**
 * Owns the one live engine. Loading a model compiles graphs and opens an onnxruntime
 * session, which costs far more than an analysis, so the engine is kept until the model or
 * provider setting changes. No VS Code import: a plain Node script can drive it too.
 */
import * as path from 'node:path';
import type { Engine, ExecutionProviderChoice } from '../engine/api';
import { defaultModelPath, openEngine } from '../engine/open';

export interface EngineKey {
  /** Empty: the embedded model. */
  modelPath: string;
  executionProvider: ExecutionProviderChoice;
}

export class EngineHost {
  private current: { key: string; engine: Promise<Engine> } | undefined;

  constructor(
    private readonly extensionRoot: string,
    private readonly log: (line: string) => void,
    private readonly cacheDir?: string,
  ) {}

  resolveModelPath(modelPath: string): string {
    return modelPath ? path.resolve(modelPath) : defaultModelPath(this.extensionRoot);
  }

  /** The model's display name before it is loaded: its folder or file name. */
  describe(key: EngineKey): string {
    return key.modelPath ? path.basename(this.resolveModelPath(key.modelPath)) : 'stories260K';
  }

  /** Whether `get(key)` would return an engine that is already loaded or loading. */
  has(key: EngineKey): boolean {
    return this.current?.key === JSON.stringify(key);
  }

  get(key: EngineKey): Promise<Engine> {
    const id = JSON.stringify(key);
    if (this.current?.key === id) return this.current.engine;
    void this.dispose();
    const modelPath = this.resolveModelPath(key.modelPath);
    const started = Date.now();
    this.log(`loading ${modelPath} (provider: ${key.executionProvider})`);
    const engine = openEngine(modelPath, { executionProvider: key.executionProvider, cacheDir: this.cacheDir }, this.log).then(
      (e) => {
        this.log(`loaded ${e.modelName} on ${e.executionProvider} in ${Date.now() - started} ms${e.executionProviderNote ? ` (${e.executionProviderNote})` : ''}`);
        return e;
      },
    );
    const entry = { key: id, engine };
    this.current = entry;
    // A failed load must not stick: the next request retries (the user may have fixed the path).
    engine.catch(() => {
      if (this.current === entry) this.current = undefined;
    });
    return engine;
  }

  async dispose(): Promise<void> {
    const entry = this.current;
    this.current = undefined;
    if (!entry) return;
    try {
      await (await entry.engine).dispose();
    } catch {
      // A model that never loaded has nothing to release.
    }
  }
}
