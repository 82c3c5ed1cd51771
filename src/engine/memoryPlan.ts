/**
 * What an analysis will need in memory, estimated from the model's description alone (config and
 * safetensors headers, no weights read), and what the machine has: so that a model too large for
 * this machine is refused with the numbers and the ways out, before loading, instead of being
 * killed by the out-of-memory killer. Estimates err on the high side; the coefficients below are
 * fitted to peak RSS measured on GPT-2 small (T = 8 … 256) and a 172M-parameter Llama (T = 16, 128).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { ModelDescription } from '../model/description';
import type { ExecutionProviderName, Precision } from '../result/schema';

/** Node, onnxruntime and the tokenizer before any weight: measured 57 MB; kept high for V8's heap. */
const RUNTIME_BYTES = 150e6;
/** The tokenizer's tables in JavaScript, per vocabulary entry: GPT-2's 50k measured 46 MB after loading, more while parsing. */
const TOKENIZER_BYTES_PER_ENTRY = 1024;
/** Live float32 values per layer and token during the backward pass, in units of d and of d_ff. */
const ACTIVATION_FLOATS = { perHidden: 16, perIntermediate: 8 };
/** A 16-bit checkpoint's pages that stay resident after its weights are widened (measured ≈ 30 %). */
const SOURCE_PAGES_SHARE = 0.35;
/** The lens keeps a few [rows × chunk] logit blocks alive (512 rows, 4096 columns). */
const LENS_BYTES = 3 * 512 * 4096 * 4;

export interface MemoryNeeds {
  where: 'RAM' | 'VRAM';
  tokens: number;
  /** Bytes, by what holds them. */
  weights: number;
  sourcePages: number;
  activations: number;
  lens: number;
  runtime: number;
  total: number;
}

export interface MemoryAvailable {
  bytes: number;
  /** Where the number comes from (cgroup limit, MemAvailable, nvidia-smi). */
  source: string;
}

export interface MemoryPlan extends MemoryNeeds {
  available: MemoryAvailable | undefined;
  /** Undefined when the available memory could not be read. */
  fits: boolean | undefined;
}

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** What the estimate reads of a model: its sizes and its stored weights (no tokenizer, no bytes). */
export type PlannedModel = Pick<ModelDescription, 'config' | 'weights'>;

/** The estimate for one analysis of `tokens` tokens. */
export function memoryNeeds(model: PlannedModel, provider: ExecutionProviderName, matmuls: Precision, tokens: number, extraSessions = 0): MemoryNeeds {
  const c = model.config;
  const refs = [...new Set(Object.values(model.weights))];
  const parameters = refs.reduce((n, ref) => n + elements(ref.shape), 0);
  const sixteenBitBytes = refs.filter((ref) => ref.dtype !== 'float32').reduce((n, ref) => n + ref.length, 0);
  // On a GPU, float16 matmuls keep the blocks' weights in half precision on the device; the
  // neuron view's and the check's sessions each hold the weights once more.
  const weights = parameters * (provider === 'cuda' && matmuls === 'float16' ? 2 : 4) * (1 + extraSessions);
  const perToken = c.layers * (ACTIVATION_FLOATS.perHidden * c.hiddenSize + ACTIVATION_FLOATS.perIntermediate * c.intermediateSize) * 4;
  const attention = 3 * c.heads * tokens * tokens * 4;
  const vectors = 2 * c.layers * tokens * c.hiddenSize * 4;
  const needs = {
    where: provider === 'cuda' ? ('VRAM' as const) : ('RAM' as const),
    tokens,
    weights,
    sourcePages: provider === 'cpu' ? sixteenBitBytes * SOURCE_PAGES_SHARE : 0,
    activations: tokens * perToken + attention,
    lens: LENS_BYTES + vectors,
    runtime: provider === 'cpu' ? RUNTIME_BYTES + c.vocabSize * TOKENIZER_BYTES_PER_ENTRY : 0,
  };
  return { ...needs, total: needs.weights + needs.sourcePages + needs.activations + needs.lens + needs.runtime };
}

function readNumber(file: string): number | undefined {
  try {
    const value = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Free RAM for this process: the cgroup's limit less its use when there is one, else MemAvailable. */
export function availableRam(): MemoryAvailable {
  const limit = readNumber('/sys/fs/cgroup/memory.max') ?? readNumber('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  const used = readNumber('/sys/fs/cgroup/memory.current') ?? readNumber('/sys/fs/cgroup/memory/memory.usage_in_bytes');
  const meminfo = (() => {
    try {
      const kb = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
      return kb ? Number(kb) * 1024 : undefined;
    } catch {
      return undefined;
    }
  })();
  const free = meminfo ?? os.freemem();
  // cgroup v1 reports "no limit" as a huge number; v2 as "max" (not a number).
  if (limit !== undefined && used !== undefined && limit < os.totalmem()) {
    return limit - used < free ? { bytes: limit - used, source: 'the cgroup limit' } : { bytes: free, source: 'available RAM' };
  }
  return { bytes: free, source: meminfo !== undefined ? 'available RAM' : 'free RAM' };
}

/** Free memory of the first GPU, from nvidia-smi; undefined when it cannot be asked. */
export function availableVram(): MemoryAvailable | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=memory.free', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 3000 });
    const mib = Number(out.split('\n')[0].trim());
    return Number.isFinite(mib) ? { bytes: mib * 2 ** 20, source: 'free GPU memory (nvidia-smi)' } : undefined;
  } catch {
    return undefined;
  }
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e10 ? 2 : 1)} GB`;

/** `BACKWARD_LENS_MEMORY_LIMIT` (bytes, or e.g. "16GB"): plan as if no more were free (a shared machine, a test). */
function memoryLimitFromEnvironment(): MemoryAvailable | undefined {
  const value = process.env.BACKWARD_LENS_MEMORY_LIMIT?.trim();
  const match = value ? /^(\d+(?:\.\d+)?)\s*(|k|m|g|t)b?$/i.exec(value) : null;
  if (!match) return undefined;
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return { bytes: Number(match[1]) * scale, source: 'BACKWARD_LENS_MEMORY_LIMIT' };
}

/**
 * `heldBytes`: RAM this process already holds (an open engine's weights, its runtime), which the
 * analysis counts in its needs but which is no longer free: it is available to this process again.
 */
export function planMemory(model: PlannedModel, provider: ExecutionProviderName, matmuls: Precision, tokens: number, extraSessions = 0, heldBytes = 0): MemoryPlan {
  const needs = memoryNeeds(model, provider, matmuls, tokens, extraSessions);
  const free = provider === 'cuda' ? availableVram() : availableRam();
  const measured = free && heldBytes > 0 ? { bytes: free.bytes + heldBytes, source: `${free.source}, with the ${gb(heldBytes)} this process holds` } : free;
  const limit = memoryLimitFromEnvironment();
  const available = limit && (!measured || limit.bytes < measured.bytes) ? limit : measured;
  return { ...needs, available, fits: available ? needs.total <= available.bytes : undefined };
}

/** One line: what is needed, of what, and what it is made of. */
export function describePlan(plan: MemoryPlan): string {
  const parts = [`weights ${gb(plan.weights + plan.sourcePages)}`, `activations ${gb(plan.activations)} at ${plan.tokens} tokens`, `lens ${gb(plan.lens)}`];
  if (plan.runtime) parts.push(`runtime ${gb(plan.runtime)}`);
  const available = plan.available ? `${gb(plan.available.bytes)} is free (${plan.available.source})` : 'how much is free is unknown';
  return `needs ≈ ${gb(plan.total)} of ${plan.where} (${parts.join(', ')}); ${available}`;
}

/** The analysis would not fit: the message gives the numbers and the ways out. */
export class MemoryPlanError extends Error {
  constructor(plan: MemoryPlan, modelName: string) {
    const perToken = plan.tokens > 0 ? plan.activations / plan.tokens : 0;
    // A shorter prompt helps only when the weights themselves fit.
    const promptHelps = plan.available !== undefined && plan.weights + plan.sourcePages + plan.runtime + plan.lens < plan.available.bytes;
    const ways = [
      promptHelps ? `a shorter prompt (≈ ${(perToken / 1e6).toFixed(1)} MB a token)` : undefined,
      plan.where === 'RAM' ? 'a GPU (executionProvider cuda, with float16 matmuls it holds the weights in half precision)' : 'float16 matmuls (half the weights\' memory)',
      'a smaller model',
    ].filter(Boolean);
    super(`${modelName} does not fit: the analysis ${describePlan(plan)}. Ways out: ${ways.join('; ')}.`);
    this.name = 'MemoryPlanError';
  }
}

/** Throws a MemoryPlanError when the plan is known not to fit; an unknown amount free lets the work go on. */
export function refuseUnlessFits(plan: MemoryPlan, modelName: string): void {
  if (plan.fits === false) throw new MemoryPlanError(plan, modelName);
}
