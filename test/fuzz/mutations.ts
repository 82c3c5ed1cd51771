/**
 * Seeded mutations of real model folders: stories260K (llama2.c) and generated tiny GPT-2, Llama
 * and Qwen2 folders. Each case is one folder with one mutation, named so a failure can be
 * reproduced from its seed. The mutations follow the classes found by the first fuzz run:
 * truncation, flipped header bytes, hostile header and config fields, broken vocabularies,
 * hostile safetensors entries and shard names, non-finite weights, and non-regular files.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STORIES260K_CHECKPOINT, STORIES260K_TOKENIZER } from '../support/fixtures';
import { seededUniform, writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

export type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Values that break code assuming sane numbers, strings or shapes. */
const HOSTILE_VALUES: readonly unknown[] = [0, -1, 1, 2, 3, 7, 0.5, 1e6, 1e7, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 1e300, -1e300, NaN, null, true, 'x', '', [], {}, [1, 2], { a: 1 }];
const HOSTILE_INT32 = [0, -1, 1, 2, 3, 7, 1000, 1e6, 2 ** 31 - 1, -(2 ** 31), 64, 512];
const HOSTILE_NAMES: readonly unknown[] = ['../../../etc/passwd', '/etc/passwd', '..', '.', '', 'missing.safetensors', 'config.json', 42, null, ['a'], 'sub/../../x'];

export interface Base {
  name: string;
  dir: string;
  /** The files of the folder, by role. */
  files: { weights: string[]; config?: string; tokenizerJson?: string; tokenizerBin?: string; index?: string };
}

/** Writes the bases once under `root`: every case starts from a hard-linked copy of one. */
export function writeBases(root: string): Base[] {
  const stories = path.join(root, 'base-stories260K');
  fs.mkdirSync(stories, { recursive: true });
  fs.copyFileSync(STORIES260K_CHECKPOINT, path.join(stories, 'stories260K.bin'));
  fs.copyFileSync(STORIES260K_TOKENIZER, path.join(stories, 'tok512.bin'));
  const hf = (name: string, dir: string, sharded: boolean): Base => ({
    name,
    dir,
    files: {
      weights: fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')),
      config: 'config.json',
      tokenizerJson: 'tokenizer.json',
      index: sharded ? 'model.safetensors.index.json' : undefined,
    },
  });
  return [
    { name: 'stories260K', dir: stories, files: { weights: ['stories260K.bin'], tokenizerBin: 'tok512.bin' } },
    hf('gpt2', writeTinyGpt2(path.join(root, 'base-gpt2')).dir, false),
    hf('llama-sharded', writeTinyLlama(path.join(root, 'base-llama'), { kind: 'llama', sharded: true }).dir, true),
    hf('qwen2-bf16', writeTinyLlama(path.join(root, 'base-qwen2'), { kind: 'qwen2', dtype: 'bfloat16' }).dir, false),
  ];
}

/** A file to mutate: replaced by a fresh copy first, so the base it is linked to stays intact. */
function own(dir: string, name: string): string {
  const file = path.join(dir, name);
  const bytes = fs.readFileSync(file);
  fs.rmSync(file);
  fs.writeFileSync(file, bytes);
  return file;
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

function truncate(random: Random, file: string): string {
  const size = fs.statSync(file).size;
  const length = random() < 0.2 ? Math.floor(random() * 64) : Math.floor(random() * size);
  fs.truncateSync(file, length);
  return `truncate ${path.basename(file)} to ${length} of ${size} bytes`;
}

function flipBytes(random: Random, file: string): string {
  const bytes = fs.readFileSync(file);
  const region = random() < 0.7 ? Math.min(bytes.length, 4096) : bytes.length;
  const flips = 1 + Math.floor(random() * 8);
  for (let i = 0; i < flips; i++) bytes[Math.floor(random() * region)] ^= 1 << Math.floor(random() * 8);
  fs.writeFileSync(file, bytes);
  return `flip ${flips} bytes in the first ${region} of ${path.basename(file)}`;
}

function llama2cHeaderField(random: Random, file: string): string {
  const bytes = fs.readFileSync(file);
  const field = Math.floor(random() * 7);
  const value = pick(random, HOSTILE_INT32);
  bytes.writeInt32LE(value, 4 * field);
  fs.writeFileSync(file, bytes);
  return `llama2.c header field ${field} = ${value}`;
}

function tokenizerBinEntry(random: Random, file: string): string {
  const bytes = fs.readFileSync(file);
  const offset = random() < 0.3 ? 0 : 4 + 8 * Math.floor(random() * 40) + 4;
  const value = pick(random, HOSTILE_INT32);
  bytes.writeInt32LE(value, Math.min(offset, bytes.length - 4));
  fs.writeFileSync(file, bytes);
  return `tok512.bin int32 at ${offset} = ${value}`;
}

function configField(random: Random, file: string): string {
  let description = '';
  editJson(file, (json) => {
    const key = pick(random, Object.keys(json));
    if (random() < 0.15) {
      delete json[key];
      description = `config.json without ${key}`;
    } else {
      json[key] = pick(random, HOSTILE_VALUES);
      description = `config.json ${key} = ${JSON.stringify(json[key])}`;
    }
  });
  return description;
}

function tokenizerJsonVocabulary(random: Random, file: string): string {
  let description = '';
  editJson(file, (json) => {
    const model = json.model as { vocab: Record<string, unknown>; type?: unknown };
    const added = json.added_tokens as { id: unknown }[];
    const tokens = Object.keys(model.vocab);
    const kind = Math.floor(random() * 6);
    if (kind === 0) {
      const token = pick(random, tokens);
      model.vocab[token] = pick(random, [...HOSTILE_VALUES, 2 ** 31, 1e9, tokens.length + 5]);
      description = `vocab[${JSON.stringify(token)}] = ${JSON.stringify(model.vocab[token])}`;
    } else if (kind === 1 && added.length) {
      added[0].id = pick(random, [...HOSTILE_VALUES, 2 ** 31]);
      description = `added_tokens[0].id = ${JSON.stringify(added[0].id)}`;
    } else if (kind === 2) {
      model.vocab = pick(random, [[], {}, 'x', tokens, null]) as never;
      description = `vocab = ${JSON.stringify(model.vocab).slice(0, 40)}`;
    } else if (kind === 3) {
      model.vocab[tokens[1]] = model.vocab[tokens[0]];
      description = 'duplicate vocabulary id';
    } else if (kind === 4) {
      model.type = pick(random, ['Unigram', 'WordPiece', 'Foo', 42]);
      description = `model.type = ${JSON.stringify(model.type)}`;
    } else {
      json.added_tokens = pick(random, [{}, 'x', [null], [{ id: 0 }]]);
      description = `added_tokens = ${JSON.stringify(json.added_tokens)}`;
    }
  });
  return description;
}

function safetensorsEntry(random: Random, file: string): string {
  const bytes = fs.readFileSync(file);
  if (random() < 0.25) {
    const length = pick(random, [0n, 1n, 7n, BigInt(bytes.length), 2n ** 40n, 2n ** 63n]);
    bytes.writeBigUInt64LE(length, 0);
    fs.writeFileSync(file, bytes);
    return `safetensors header length = ${length}`;
  }
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const name = pick(random, Object.keys(header).filter((k) => k !== '__metadata__'));
  const field = pick(random, ['data_offsets', 'shape', 'dtype'] as const);
  const value =
    field === 'dtype'
      ? pick(random, ['I8', 'F64', 'F16', 'BF16', 'F32', 'U8', 42, null])
      : field === 'shape'
        ? pick(random, [[], [0], [1e9, 1e9], [-1], [2.5], header[name].shape.slice().reverse(), [...header[name].shape, 1], 'x'])
        : pick(random, [[0, 0], [0, 4], [-4, 0], [1e300, 1e300], [8, 4], [0, 2 ** 53], header[name].data_offsets.map((o: number) => o + 2), null]);
  header[name][field] = value;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), bytes.subarray(8 + headerLength)]));
  return `safetensors ${name}.${field} = ${JSON.stringify(value)}`;
}

function shardName(random: Random, file: string): string {
  let description = '';
  editJson(file, (json) => {
    const map = json.weight_map as Record<string, unknown>;
    const name = pick(random, Object.keys(map));
    map[name] = pick(random, HOSTILE_NAMES);
    description = `weight_map[${name}] = ${JSON.stringify(map[name])}`;
  });
  return description;
}

/** NaN or ±Inf written over a few stored weights. */
function nonFiniteWeights(random: Random, file: string, dataStart: number): string {
  const bytes = fs.readFileSync(file);
  const value = pick(random, [NaN, Infinity, -Infinity]);
  const bf16 = fs.readFileSync(file).subarray(0, 4096).includes(Buffer.from('BF16'));
  for (let i = 0; i < 4; i++) {
    const at = dataStart + Math.floor(random() * ((bytes.length - dataStart) / 4 - 1)) * 4;
    if (bf16) bytes.writeUInt16LE(Number.isNaN(value) ? 0x7fc0 : value > 0 ? 0x7f80 : 0xff80, at);
    else bytes.writeFloatLE(value, at);
  }
  fs.writeFileSync(file, bytes);
  return `${value} written over weights of ${path.basename(file)}`;
}

/** The file replaced by something that is not a regular file. */
function notARegularFile(random: Random, file: string): string {
  fs.rmSync(file);
  const kind = pick(random, ['fifo', 'directory', 'link to /dev/zero', 'link to /etc/passwd', 'dangling link'] as const);
  if (kind === 'fifo') execFileSync('mkfifo', [file]);
  else if (kind === 'directory') fs.mkdirSync(file);
  else fs.symlinkSync(kind === 'link to /dev/zero' ? '/dev/zero' : kind === 'dangling link' ? path.join(path.dirname(file), 'nothing-here') : '/etc/passwd', file);
  return `${path.basename(file)} is a ${kind}`;
}

export interface FuzzCase {
  seed: number;
  base: string;
  dir: string;
  mutation: string;
}

/** Case `seed`: a copy of one base (hard links) with one mutation applied. */
export function makeCase(root: string, bases: Base[], seed: number): FuzzCase {
  const random = seededUniform(seed);
  const base = bases[seed % bases.length];
  const dir = path.join(root, `case-${seed}`);
  fs.mkdirSync(dir);
  for (const name of fs.readdirSync(base.dir)) fs.linkSync(path.join(base.dir, name), path.join(dir, name));
  const { files } = base;
  const anyFile = () => pick(random, [...files.weights, files.config, files.tokenizerJson, files.tokenizerBin, files.index].filter((f): f is string => !!f));
  const mutations: (() => string)[] = [
    () => truncate(random, own(dir, anyFile())),
    () => flipBytes(random, own(dir, anyFile())),
    () => notARegularFile(random, path.join(dir, anyFile())),
    () => nonFiniteWeights(random, own(dir, files.weights[0]), files.tokenizerBin ? 28 : 8 + Number(fs.readFileSync(path.join(dir, files.weights[0])).readBigUInt64LE(0))),
  ];
  if (files.tokenizerBin) {
    mutations.push(
      () => llama2cHeaderField(random, own(dir, files.weights[0])),
      () => llama2cHeaderField(random, own(dir, files.weights[0])),
      () => tokenizerBinEntry(random, own(dir, files.tokenizerBin!)),
    );
  } else {
    mutations.push(
      () => configField(random, own(dir, files.config!)),
      () => configField(random, own(dir, files.config!)),
      () => tokenizerJsonVocabulary(random, own(dir, files.tokenizerJson!)),
      () => safetensorsEntry(random, own(dir, pick(random, files.weights))),
      () => safetensorsEntry(random, own(dir, pick(random, files.weights))),
    );
    if (files.index) mutations.push(() => shardName(random, own(dir, files.index!)));
  }
  return { seed, base: base.name, dir, mutation: pick(random, mutations)() };
}
