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

export interface SessionRequest {
  graphBytes: Uint8Array;
  weightFiles: string[];
  executionProvider: ExecutionProviderChoice;
  cacheDir: string;
  /** Replaces the weight files' bytes (tests perturb weights this way). */
  weightData?: Uint8Array[];
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

function sessionOptions(providers: string[]): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
}

/** Why CUDA cannot be used in this installation, or undefined when it can be tried. */
export function cudaUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `CUDA is not offered by onnxruntime-node on ${process.platform}`;
  const cuda = ort.listSupportedBackends().find((backend) => backend.name === 'cuda');
  if (!cuda) return 'this onnxruntime-node build has no CUDA execution provider';
  if (!cuda.bundled && !cudaLibrariesInstalled()) {
    return 'onnxruntime-node was installed without its CUDA libraries (reinstall with --onnxruntime-node-install=cuda12 where NuGet is reachable)';
  }
  return undefined;
}

function cudaLibrariesInstalled(): boolean {
  const binary = path.dirname(require.resolve('onnxruntime-node/package.json'));
  const folder = path.join(binary, 'bin', 'napi-v6', process.platform, process.arch);
  return fs.existsSync(folder) && fs.readdirSync(folder).some((f) => f.includes('providers_cuda'));
}

export async function createLiveSession(request: SessionRequest): Promise<LiveSession> {
  const wantCuda = request.executionProvider !== 'cpu';
  const reason = wantCuda ? cudaUnavailableReason() : undefined;
  if (request.executionProvider === 'cuda' && reason) {
    throw new Error(`CUDA was requested but ${reason}.`);
  }
  if (wantCuda && !reason) {
    try {
      return { ...(await open(request, ['cuda'])), executionProvider: 'cuda', executionProviderNote: undefined };
    } catch (error) {
      if (request.executionProvider === 'cuda') throw error;
      const note = `the CUDA execution provider failed to start: ${(error as Error).message.split('\n')[0]}`;
      return { ...(await open(request, ['cpu'])), executionProvider: 'cpu', executionProviderNote: note };
    }
  }
  const note = request.executionProvider === 'auto' ? reason : undefined;
  return { ...(await open(request, ['cpu'])), executionProvider: 'cpu', executionProviderNote: note };
}

async function open(request: SessionRequest, providers: string[]): Promise<Omit<LiveSession, 'executionProvider' | 'executionProviderNote'>> {
  const options = sessionOptions(providers);
  if (!request.weightData) {
    const modelPath = linkedGraph(request);
    if (modelPath) return { session: await ort.InferenceSession.create(modelPath, options), weightsVia: 'hard-link' };
  }
  const data = request.weightData ?? request.weightFiles.map((file) => fs.readFileSync(file));
  const externalData = data.map((bytes, i) => ({ path: weightFileLocation(i), data: bytes }));
  const session = await ort.InferenceSession.create(request.graphBytes, { ...options, externalData });
  return { session, weightsVia: 'memory' };
}

/**
 * Writes the graph under cacheDir/<sha256 of graph and weight identities>/ with hard links to
 * the weights, reusing an earlier folder; undefined when hard links are impossible here.
 */
function linkedGraph(request: SessionRequest): string | undefined {
  const key = createHash('sha256').update(request.graphBytes);
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
      fs.linkSync(file, link);
    });
    const temporary = `${modelPath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, request.graphBytes);
    fs.renameSync(temporary, modelPath);
    return modelPath;
  } catch {
    fs.rmSync(folder, { recursive: true, force: true });
    return undefined;
  }
}
