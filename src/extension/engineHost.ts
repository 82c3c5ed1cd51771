/**
 * Owns the one live engine, in a child process (src/engineProcess) so the extension host's
 * thread never runs model work. Loading a model compiles graphs and opens onnxruntime sessions,
 * which costs far more than an analysis, so the engine is kept until the model or provider
 * setting changes, or its process stops (then the next request starts a new one).
 * No VS Code import: a plain Node script can drive it too.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine, ExecutionProviderChoice } from '../engine/api';
import { defaultModelPath } from '../engine/open';
import { ProcessEngine } from '../engineProcess/processEngine';

/** The engine process is killed past this share of the machine's memory, before the system's OOM killer picks a victim. */
const MEMORY_SHARE = 0.85;

export interface EngineKey {
  /** Empty: the embedded model. */
  modelPath: string;
  executionProvider: ExecutionProviderChoice;
}

/** Only the key's own fields count, so callers may pass the whole settings object. */
const idOf = (key: EngineKey): string => JSON.stringify([key.modelPath, key.executionProvider]);

interface Entry {
  key: string;
  engine: Promise<Engine>;
  /** Set once the engine has loaded. */
  loaded?: Engine;
}

export class EngineHost {
  private current: Entry | undefined;

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
    return this.current?.key === idOf(key);
  }

  /** The engine for `key` if it has finished loading. */
  loaded(key: EngineKey): Engine | undefined {
    return this.has(key) ? this.current?.loaded : undefined;
  }

  get(key: EngineKey): Promise<Engine> {
    const id = idOf(key);
    if (this.current?.key === id) return this.current.engine;
    void this.dispose();
    const modelPath = this.resolveModelPath(key.modelPath);
    const started = Date.now();
    this.log(`loading ${modelPath} (provider: ${key.executionProvider})`);
    const entry: Entry = {
      key: id,
      engine: ProcessEngine.open(modelPath, { executionProvider: key.executionProvider, cacheDir: this.cacheDir }, this.log, {
        script: path.join(this.extensionRoot, 'dist', 'engineChild.js'),
        memoryLimitBytes: os.totalmem() * MEMORY_SHARE,
        onExit: (reason) => {
          this.log(`the engine process for ${modelPath} stopped: ${reason}`);
          if (this.current === entry) this.current = undefined;
        },
      }).then((e) => {
        this.log(`loaded ${e.modelName} on ${e.executionProvider} in ${Date.now() - started} ms${e.executionProviderNote ? ` (${e.executionProviderNote})` : ''}`);
        entry.loaded = e;
        return e;
      }),
    };
    const { engine } = entry;
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
