/**
 * Turns a compiled graph into a live onnxruntime session. Weights stay where the model keeps
 * them: the graph's external-data locations (`weights-<i>.bin`) resolve to hard links placed
 * beside the cached .onnx file, so onnxruntime reads the original files and no JavaScript copy
 * is made. onnxruntime refuses absolute and escaping locations (symlinks included), hence hard
 * links; where they cannot be made (the cache is on another filesystem) the weight files are
 * read into memory and handed over through the `externalData` session option instead.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ExecutionProviderName } from '../result/schema';
import type { ExecutionProviderChoice } from './api';
import { weightFileLocation } from '../graph/backwardLensGraph';
import { Graph } from '../graph/graph';
import { toOnnxBytes } from '../graph/onnx';

export interface SessionRequest {
  /** The graph's ONNX bytes for the provider the session will run on (they may differ by provider). */
  graphFor: (provider: ExecutionProviderName) => Uint8Array;
  weightFiles: string[];
  executionProvider: ExecutionProviderChoice;
  cacheDir: string;
  /** Replaces the weight files' bytes (tests perturb weights this way). */
  weightData?: Uint8Array[];
  /**
   * Let onnxruntime keep a re-laid-out copy of the Gemm weights that are initializers. Worth its
   * memory and start-up time only where one Gemm dominates (the lens's [rows × d]·[d × V], where
   * D is an initializer); the gradient graph's many thin [T × d] Gemms gain little from it.
   */
  prepackWeights: boolean;
  /**
   * Keep freed tensors in onnxruntime's arena for the next run: right for the lens, whose blocks
   * have the same sizes every run, not for the gradient graph, whose tensors follow the prompt
   * length (GPT-2 small: 1.6 GB instead of 0.7 GB resident after T = 256, for no speed).
   */
  memoryArena: boolean;
  /** onnxruntime graph optimizers to leave out, by name (see sessionCache.ts for why). */
  disabledOptimizers: readonly string[];
}

export interface LiveSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
  executionProviderNote: string | undefined;
  /** How the weights reached onnxruntime. */
  weightsVia: 'hard-link' | 'memory';
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'backward-lens');
}

function sessionOptions(provider: ExecutionProviderName, request: SessionRequest): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    enableCpuMemArena: request.memoryArena,
    // No spinning: the two sessions' thread pools share the cores, and the idle pool's spinning
    // took cycles from the busy one (GPT-2 small, T = 32: 477 → 424–438 ms an analysis).
    extra: {
      session: { disable_prepacking: request.prepackWeights ? '0' : '1', 'intra_op.allow_spinning': '0' },
      ...(request.disabledOptimizers.length > 0 ? { optimization: { disable_specified_optimizers: request.disabledOptimizers.join(';') } } : {}),
    },
    graphOptimizationLevel: 'all',
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
}

/** A short reason for a failed CUDA start, with the fix when it is the usual one. */
function cudaFailure(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  if (/providers_(shared|cuda)|Failed to load (shared )?librar/.test(message)) {
    return 'onnxruntime-node has no CUDA libraries here (run npm run install-cuda in the Backward Lens folder where NuGet is reachable, on a machine with CUDA 12 and cuDNN 9)';
  }
  return `the CUDA execution provider failed to start: ${message.split('\n')[0].slice(0, 200)}`;
}

/** CUDA was asked for explicitly and cannot run. */
export class ExecutionProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionProviderError';
  }
}

export async function createLiveSession(request: SessionRequest): Promise<LiveSession> {
  // onnxruntime's native logger prints a failed CUDA library load in red even when we recover
  // on the CPU; every failure reaches the user through our own errors and notes instead.
  ort.env.logLevel = 'fatal';
  if (request.executionProvider !== 'cpu') {
    let failure = await cudaUnavailable();
    if (!failure) {
      try {
        return { ...(await open(request, 'cuda')), executionProvider: 'cuda', executionProviderNote: undefined };
      } catch (error) {
        failure = cudaFailure(error);
      }
    }
    if (request.executionProvider === 'cuda') throw new ExecutionProviderError(`CUDA was requested but ${failure}; use --provider cpu (setting "backwardLens.executionProvider": "cpu").`);
    return { ...(await open(request, 'cpu')), executionProvider: 'cpu', executionProviderNote: failure };
  }
  return { ...(await open(request, 'cpu')), executionProvider: 'cpu', executionProviderNote: undefined };
}

let cudaProbe: Promise<string | undefined> | undefined;

/**
 * Why CUDA cannot start in this process, or undefined if it can: probed once, with a one-node
 * graph, so that a machine without CUDA builds no graph for it (the CUDA and CPU graphs differ).
 */
function cudaUnavailable(): Promise<string | undefined> {
  cudaProbe ??= (async () => {
    const g = new Graph();
    g.output(g.input('x', 'float32', [1]), 'y');
    try {
      const session = await ort.InferenceSession.create(toOnnxBytes(g, 'cuda-probe'), { executionProviders: ['cuda'] });
      await session.release();
      return undefined;
    } catch (error) {
      return cudaFailure(error);
    }
  })();
  return cudaProbe;
}

async function open(request: SessionRequest, provider: ExecutionProviderName): Promise<Omit<LiveSession, 'executionProvider' | 'executionProviderNote'>> {
  const options = sessionOptions(provider, request);
  const graphBytes = request.graphFor(provider);
  if (!request.weightData) {
    const modelPath = linkedGraph(request, graphBytes);
    if (modelPath) return { session: await createOptimizedOnce(modelPath, options, provider), weightsVia: 'hard-link' };
  }
  const data = request.weightData ?? request.weightFiles.map((file) => fs.readFileSync(file));
  const externalData = data.map((bytes, i) => ({ path: weightFileLocation(i), data: bytes }));
  const session = await ort.InferenceSession.create(graphBytes, { ...options, externalData });
  return { session, weightsVia: 'memory' };
}

/**
 * Named by a hash of what onnxruntime optimizes under (the level, disabled optimizers, prepacking …),
 * so other options never load it; threads, arena and execution mode shape only the run.
 */
function optimizedModelName(options: ort.InferenceSession.SessionOptions): string {
  const shaping = JSON.stringify({ level: options.graphOptimizationLevel, extra: options.extra });
  return `optimized-${createHash('sha256').update(shaping).digest('hex').slice(0, 12)}`;
}

/**
 * On the CPU, onnxruntime's optimized model is saved beside the cached graph the first time and
 * loaded, unoptimized again, the next: its folded float32 weights (16-bit checkpoints' casts done)
 * go to a file of their own that onnxruntime maps instead of reading. 1B Llama, bfloat16: session
 * creation 17 s from the checkpoint; a 172M-parameter one 2.97 s → 0.45 s and 784 → 83 MB peak
 * RSS at creation. It costs a float32 copy of the weights on disk per set of session options
 * (see optimizedModelName). GPU sessions are not saved: an optimized graph holds provider-specific nodes.
 */
async function createOptimizedOnce(modelPath: string, options: ort.InferenceSession.SessionOptions, provider: ExecutionProviderName): Promise<ort.InferenceSession> {
  if (provider !== 'cpu') return ort.InferenceSession.create(modelPath, options);
  const name = optimizedModelName(options);
  const optimized = path.join(path.dirname(modelPath), `${name}.onnx`);
  if (fs.existsSync(optimized)) {
    try {
      return await ort.InferenceSession.create(optimized, { ...options, graphOptimizationLevel: 'disabled' });
    } catch {
      // A damaged or foreign optimized model: rebuild it from the graph below.
      fs.rmSync(optimized, { force: true });
    }
  }
  // Per process, so two processes compiling the same graph never write one file; the model is renamed into place last.
  const partial = `${optimized}.${process.pid}.partial`;
  const extra = options.extra as { session?: Record<string, string> };
  const session = await ort.InferenceSession.create(modelPath, {
    ...options,
    optimizedModelFilePath: partial,
    extra: { ...extra, session: { ...extra.session, optimized_model_external_initializers_file_name: `${name}-weights-${process.pid}.bin`, optimized_model_external_initializers_min_size_in_bytes: '1024' } },
  });
  try {
    fs.renameSync(partial, optimized);
  } catch {
    fs.rmSync(partial, { force: true });
  }
  return session;
}

/**
 * Writes the graph under cacheDir/<sha256 of graph and weight identities>/ with hard links to
 * the weights, reusing an earlier folder; undefined when hard links are impossible here.
 */
function linkedGraph(request: SessionRequest, graphBytes: Uint8Array): string | undefined {
  const key = createHash('sha256').update(graphBytes);
  for (const file of request.weightFiles) {
    const stat = fs.statSync(file);
    key.update(`${path.resolve(file)}:${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`);
  }
  const folder = path.join(request.cacheDir, 'graphs', key.digest('hex').slice(0, 32));
  const modelPath = path.join(folder, 'model.onnx');
  if (fs.existsSync(modelPath)) return modelPath;
  try {
    fs.mkdirSync(folder, { recursive: true });
    request.weightFiles.forEach((file, i) => {
      const link = path.join(folder, weightFileLocation(i));
      fs.rmSync(link, { force: true });
      // A Hugging Face cache snapshot's files are relative symlinks: link what they point at, not the link itself.
      fs.linkSync(fs.realpathSync(file), link);
    });
    const temporary = `${modelPath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, graphBytes);
    fs.renameSync(temporary, modelPath);
    return modelPath;
  } catch {
    fs.rmSync(folder, { recursive: true, force: true });
    return undefined;
  }
}
