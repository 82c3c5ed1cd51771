/**
 * Owns the one live engine, in a child process (src/engineProcess) so the extension host's
 * thread never runs model work. Loading a model compiles graphs and opens onnxruntime sessions,
 * which costs far more than an analysis, so the engine is kept until the model or provider
 * setting changes, or its process stops (then the next request starts a new one). A Hugging Face
 * id is resolved as the CLI resolves it (the shared cache, else a download).
 * No VS Code import: a plain Node script can drive it too.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine, ExecutionProviderChoice } from '../engine/api';
import { defaultModelPath } from '../engine/open';
import { ProcessEngine } from '../engineProcess/processEngine';
import type { DownloadControl } from '../hub/download';
import { hubOptionsFromEnvironment, type HubOptions } from '../hub/hubOptions';
import { hubIdOf, resolvedWithoutDownload, resolveModel } from '../hub/resolveModel';

/** The engine process is killed past this share of the machine's memory, before the system's OOM killer picks a victim. */
const MEMORY_SHARE = 0.85;

export interface EngineKey {
  /** Empty: the embedded model. Otherwise a path, or a Hugging Face id ORG/NAME[@REVISION]. */
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

export interface EngineHostOptions {
  /** Where the extension is installed: the embedded model and the engine's script are found from here. */
  extensionRoot: string;
  log: (line: string) => void;
  /** Where compiled graphs are cached. */
  cacheDir?: string;
  /** The hub options at each load (the offline setting and the stored token may have changed). */
  hub?: () => Promise<HubOptions>;
  /** The engine process's entry script; default the bundle's dist/engineChild.js. */
  engineScript?: string;
}

export class EngineHost {
  private current: Entry | undefined;

  private readonly extensionRoot: string;
  private readonly log: (line: string) => void;
  private readonly cacheDir: string | undefined;
  private readonly hub: () => Promise<HubOptions>;
  private readonly engineScript: string;

  constructor(options: EngineHostOptions) {
    this.extensionRoot = options.extensionRoot;
    this.log = options.log;
    this.cacheDir = options.cacheDir;
    this.hub = options.hub ?? (async () => hubOptionsFromEnvironment());
    this.engineScript = options.engineScript ?? path.join(options.extensionRoot, 'dist', 'engineChild.js');
  }

  /** The folder or file the setting names: for a hub id, its cached snapshot (the id itself until it is downloaded). */
  resolveModelPath(modelPath: string): string {
    if (!modelPath) return defaultModelPath(this.extensionRoot);
    return resolvedWithoutDownload(modelPath, hubOptionsFromEnvironment().cacheDir) ?? modelPath;
  }

  /** The model's display name before it is loaded: a hub id, or its folder or file name. */
  describe(key: EngineKey): string {
    if (!key.modelPath) return 'stories260K';
    return hubIdOf(key.modelPath) ? key.modelPath : path.basename(path.resolve(key.modelPath));
  }

  /** Whether `get(key)` would return an engine that is already loaded or loading. */
  has(key: EngineKey): boolean {
    return this.current?.key === idOf(key);
  }

  /** The engine for `key` if it has finished loading. */
  loaded(key: EngineKey): Engine | undefined {
    return this.has(key) ? this.current?.loaded : undefined;
  }

  /** `download` hears a hub model's download and may cancel it (the first caller's, when several wait for one load). */
  get(key: EngineKey, download?: DownloadControl): Promise<Engine> {
    const id = idOf(key);
    if (this.current?.key === id) return this.current.engine;
    void this.dispose();
    const modelPath = key.modelPath || defaultModelPath(this.extensionRoot);
    const started = Date.now();
    this.log(`loading ${modelPath} (provider: ${key.executionProvider})`);
    const folder = this.hub().then((hub) => resolveModel(modelPath, hub, download));
    const entry: Entry = {
      key: id,
      engine: folder.then((resolved) => this.openInProcess(resolved, key, () => entry)).then((e) => {
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

  private openInProcess(modelPath: string, key: EngineKey, entry: () => Entry): Promise<Engine> {
    return ProcessEngine.open(modelPath, { executionProvider: key.executionProvider, cacheDir: this.cacheDir }, this.log, {
      script: this.engineScript,
      memoryLimitBytes: os.totalmem() * MEMORY_SHARE,
      onExit: (reason) => {
        this.log(`the engine process for ${modelPath} stopped: ${reason}`);
        if (this.current === entry()) this.current = undefined;
      },
    });
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
