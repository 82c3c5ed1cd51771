/**
 * Reads safetensors headers into WeightRefs (absolute file offsets) without touching tensor data.
 * Hand-written on purpose: the header is a tiny documented format (u64 length + JSON), and no well-kept npm library reads only the header without loading the data.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }`, then the data;
 * offsets are relative to the first byte after the header.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WeightDType, WeightRef } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, fileSize, readBytes, readJsonFile } from '../files/read';

const DTYPES: Record<string, { dtype: WeightDType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 },
  F16: { dtype: 'float16', bytes: 2 },
  BF16: { dtype: 'bfloat16', bytes: 2 },
};

/** Headers larger than this are not real safetensors files (HF's own reader caps them at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export interface SafetensorsWeights {
  weights: Record<string, WeightRef>;
  files: string[];
}

/** Every tensor of one safetensors file, as WeightRefs. */
export function readSafetensorsHeader(file: string): Record<string, WeightRef> {
  const size = fileSize(file);
  const headerLength = readHeaderLength(file, size);
  const dataStart = 8 + headerLength;
  const header = parseHeader(file, readBytes(file, 8, headerLength));
  const weights: Record<string, WeightRef> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    weights[name] = weightRef(file, name, entry, dataStart, size);
  }
  rejectOverlaps(file, weights);
  return weights;
}

/** Two tensors sharing bytes would each be read as the other's weights: the format forbids it. */
function rejectOverlaps(file: string, weights: Record<string, WeightRef>): void {
  const byOffset = Object.entries(weights).sort(([, a], [, b]) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const [previousName, previous] = byOffset[i - 1];
    const [name, ref] = byOffset[i];
    if (ref.offset < previous.offset + previous.length) {
      throw new ModelLoadError(`Tensors "${previousName}" and "${name}" in ${file} overlap (bytes ${ref.offset}–${previous.offset + previous.length}); the file is corrupt, re-download it.`);
    }
  }
}

/** The weights of a model folder: `model.safetensors`, or the shards listed by `model.safetensors.index.json`. */
export function readSafetensorsFolder(folder: string): SafetensorsWeights {
  const indexFile = path.join(folder, SAFETENSORS_INDEX_FILE);
  const singleFile = path.join(folder, SAFETENSORS_FILE);
  if (fs.existsSync(indexFile)) return readShards(fileInside(folder, SAFETENSORS_INDEX_FILE));
  if (fs.existsSync(singleFile)) return { weights: readSafetensorsHeader(fileInside(folder, SAFETENSORS_FILE)), files: [singleFile] };
  throw new ModelLoadError(
    `The model folder ${folder} has neither ${SAFETENSORS_FILE} nor ${SAFETENSORS_INDEX_FILE}; download the safetensors weights (PyTorch .bin weights are not supported).`,
  );
}

/** A safetensors index's map of tensor name → shard file name. */
function weightMapOf(indexFile: string): Record<string, string> {
  const weightMap = readJsonFile(indexFile).weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelLoadError(`${indexFile} has no "weight_map"; re-download it from the model's repository.`);
  }
  return weightMap as Record<string, string>;
}

/** The shard files a safetensors index names, each once, sorted (names are checked when the shards are opened). */
export function shardNamesOf(indexFile: string): string[] {
  return shardsOf(weightMapOf(indexFile));
}

const shardsOf = (weightMap: Record<string, string>): string[] => [...new Set(Object.values(weightMap))].sort();

function readShards(indexFile: string): SafetensorsWeights {
  const weightMap = weightMapOf(indexFile);
  const folder = path.dirname(indexFile);
  const shardNames = shardsOf(weightMap);
  const shards = new Map(shardNames.map((name) => [name, readSafetensorsHeader(fileInside(folder, name, indexFile))]));
  const weights: Record<string, WeightRef> = {};
  for (const [name, shardName] of Object.entries(weightMap)) {
    const ref = shards.get(shardName)?.[name];
    if (!ref) {
      throw new ModelLoadError(
        `${indexFile} says tensor "${name}" is in ${shardName}, but that shard does not contain it; re-download the shards and the index together.`,
      );
    }
    weights[name] = ref;
  }
  return { weights, files: shardNames.map((name) => fileInside(folder, name, indexFile)) };
}

function readHeaderLength(file: string, size: number): number {
  const fail = (what: string): never => {
    throw new ModelLoadError(`${file} is not a valid safetensors file (${what}); re-download it.`);
  };
  if (size < 8) fail(`it is only ${size} bytes long`);
  const length = readBytes(file, 0, 8).readBigUInt64LE(0);
  if (length > BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) fail(`its header claims ${length} bytes but the file has ${size}`);
  return Number(length);
}

function parseHeader(file: string, bytes: Buffer): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ModelLoadError(`${file} has a corrupt safetensors header (${(error as Error).message}); re-download it.`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelLoadError(`${file} has a safetensors header that is not a JSON object; re-download it.`);
  }
  return header as Record<string, unknown>;
}

function weightRef(file: string, name: string, entry: unknown, dataStart: number, size: number): WeightRef {
  const fail = (what: string, todo = 're-download the file'): never => {
    throw new ModelLoadError(`Tensor "${name}" in ${file} ${what}; ${todo}.`);
  };
  const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const type = DTYPES[String(dtype)];
  if (!type) {
    fail(`has dtype ${String(dtype)}, but only ${Object.keys(DTYPES).join(', ')} are supported`, 'convert the model to float32, float16 or bfloat16');
  }
  if (!isIntegerArray(shape)) fail('has no valid shape');
  if (!isIntegerArray(offsets) || offsets.length !== 2) fail('has no valid data_offsets');
  const [begin, end] = offsets as number[];
  if (end < begin) fail(`has data_offsets [${begin}, ${end}] that end before they begin`);
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== elements * type.bytes) fail(`holds ${end - begin} bytes but its shape [${shape}] needs ${elements * type.bytes}`);
  if (dataStart + end > size) fail(`ends at byte ${dataStart + end}, past the end of the ${size}-byte file (truncated download?)`);
  return { file, dtype: type.dtype, shape: shape as number[], offset: dataStart + begin, length: end - begin };
}

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= 0);
}
