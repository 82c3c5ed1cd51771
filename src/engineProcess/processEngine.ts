/**
 * The Engine API served by a child process, so that loading, compiling and analysing never block
 * the extension host's thread (every other extension in the window shares it) and a model that
 * runs out of memory takes down only its own process. Cancel aborts the call in the child and,
 * if it has not ended a second later, kills the child; a child that dies or outgrows its memory
 * limit fails its calls with a message that says so, and the next open starts a fresh one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AnalysisRequest, EditRequest, EditResult, EditSweepRequest, EditSweepResult, Engine, EngineLog, EngineOptions, RunControl } from '../engine/api';
import type { MemoryPlan } from '../engine/memoryPlan';
import type { BackwardLensResult, ExecutionProviderName, Precision, ScoredToken } from '../result/schema';
import { errorFrom, type EngineMethod, type FromChild, type ToChild } from './messages';

/**
 * Memory of a long session, measured over 200 analyses of stories260K with prompts of 3–62 tokens:
 * each result crossing the IPC channel leaves its serialized copy to V8, whose heap then grew
 * from 27 to 58 MB between collections (resident 124 → 176 MB by run 100), so the child collects
 * after every call (119 → 121 MB at run 100, 125 at run 200). And glibc keeps freed buffers of the
 * gradient session's varying [T, …] shapes: mapped on their own from 256 KB up, they are given back.
 */
const CHILD_EXEC_ARGV = ['--expose-gc'];
const CHILD_ENV = { MALLOC_MMAP_THRESHOLD_: String(256 * 1024) };

/** How long a cancelled call may take to end by itself before its process is killed. */
const CANCEL_GRACE_MS = 1000;
const MEMORY_POLL_MS = 500;

/** The engine process stopped or was stopped; its calls cannot complete. */
export class EngineProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineProcessError';
  }
}

const stoppedError = (reason: string) => new EngineProcessError(`The Backward Lens engine process stopped: ${reason}. The next analysis starts a new one.`);

export interface ProcessOptions {
  /** The child's entry script (dist/engineChild.js in the extension, out/…/engineChild.js in tests). */
  script: string;
  /** Kill the child when its resident memory passes this many bytes. */
  memoryLimitBytes?: number;
  /** Hears when the child stops, whatever the reason, so its owner can drop the engine. */
  onExit?: (reason: string) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  control?: RunControl;
}

/** A process's resident memory now, from /proc (0 once it is gone). */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export class ProcessEngine implements Engine {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: string | undefined;
  private info!: { modelName: string; contextLength: number; executionProvider: ExecutionProviderName; executionProviderNote?: string };

  private constructor(
    private readonly child: ChildProcess,
    private readonly log: EngineLog,
  ) {}

  /** Starts a child process and opens the model in it. */
  static open(modelPath: string, engineOptions: EngineOptions, log: EngineLog, options: ProcessOptions): Promise<ProcessEngine> {
    const child = fork(options.script, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: CHILD_EXEC_ARGV,
      env: { ...process.env, ...CHILD_ENV },
    });
    const engine = new ProcessEngine(child, log);
    return engine.start(modelPath, engineOptions, options);
  }

  private start(modelPath: string, engineOptions: EngineOptions, options: ProcessOptions): Promise<ProcessEngine> {
    const { child } = this;
    let lastOutput = '';
    const relay = (data: Buffer) =>
      String(data).split('\n').filter(Boolean).forEach((line) => {
        lastOutput = line;
        this.log(`engine process: ${line}`);
      });
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    const memory = options.memoryLimitBytes;
    const watch = memory
      ? setInterval(() => {
          if (child.pid && residentBytes(child.pid) > memory) this.stop(`it used more than its memory limit of ${(memory / 2 ** 30).toFixed(1)} GB`);
        }, MEMORY_POLL_MS)
      : undefined;
    return new Promise((resolve, reject) => {
      child.on('message', (message: FromChild) => {
        if (message.type === 'opened') {
          this.info = message;
          resolve(this);
        } else if (message.type === 'openFailed') {
          reject(errorFrom(message.error));
          this.stop('the model did not open');
        } else this.receive(message);
      });
      child.on('exit', (code, signal) => {
        clearInterval(watch);
        const said = lastOutput ? ` (its last words: ${lastOutput.slice(0, 200)})` : '';
        const reason = this.stopped ?? (signal ? `it was killed (${signal}; out of memory?)` : `it exited with code ${code}${said}`);
        this.stopped = reason;
        const error = stoppedError(reason);
        reject(error);
        for (const call of this.pending.values()) call.reject(error);
        this.pending.clear();
        options.onExit?.(reason);
      });
      child.send({ type: 'open', modelPath, options: engineOptions } satisfies ToChild);
    });
  }

  private receive(message: FromChild): void {
    if (message.type === 'log') return this.log(message.line);
    if (!('id' in message)) return;
    const call = this.pending.get(message.id);
    if (!call) return;
    if (message.type === 'progress') return call.control?.onProgress?.(message.step);
    this.pending.delete(message.id);
    if (message.type === 'result') call.resolve(message.value);
    else if (message.type === 'failed') call.reject(errorFrom(message.error));
  }

  private call<T>(method: EngineMethod, args: unknown[], control?: RunControl): Promise<T> {
    if (this.stopped) return Promise.reject(stoppedError(this.stopped));
    const id = this.nextId++;
    const signal = control?.signal;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.child.send({ type: 'cancel', id } satisfies ToChild);
        // A call that does not reach its next step in time (a long gradient pass) ends with its process.
        setTimeout(() => {
          if (this.pending.has(id)) this.stop('a cancelled analysis did not stop within a second');
        }, CANCEL_GRACE_MS).unref();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <A>(done: (a: A) => void) => (a: A) => {
        signal?.removeEventListener('abort', onAbort);
        done(a);
      };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), control });
      this.child.send({ type: 'call', id, method, args } satisfies ToChild);
    });
  }

  /** Ends the child process (its exit handler fails whatever is still pending). */
  private stop(reason: string): void {
    this.stopped ??= reason;
    this.child.kill('SIGKILL');
  }

  get modelName(): string {
    return this.info.modelName;
  }

  get contextLength(): number {
    return this.info.contextLength;
  }

  countTokens(text: string): Promise<number> {
    return this.call('countTokens', [text]);
  }

  memoryPlan(tokens: number, matmuls?: Precision): Promise<MemoryPlan> {
    return this.call('memoryPlan', [tokens, matmuls]);
  }

  /** The engine process's resident memory now, in bytes (0 once it has stopped). */
  get residentBytes(): number {
    return this.child.pid && !this.stopped ? residentBytes(this.child.pid) : 0;
  }

  get executionProvider(): ExecutionProviderName {
    return this.info.executionProvider;
  }

  get executionProviderNote(): string | undefined {
    return this.info.executionProviderNote;
  }

  analyze(request: AnalysisRequest, control?: RunControl): Promise<BackwardLensResult> {
    return this.call('analyze', [request], control);
  }

  predictNext(prompt: string, k: number): Promise<ScoredToken[]> {
    return this.call('predictNext', [prompt, k]);
  }

  edit(request: EditRequest, control?: RunControl): Promise<EditResult> {
    return this.call('edit', [request], control);
  }

  sweepEdit(request: EditSweepRequest, control?: RunControl): Promise<EditSweepResult> {
    return this.call('sweepEdit', [request], control);
  }

  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = 'it was closed';
    this.child.disconnect();
  }
}
