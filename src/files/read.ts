/**
 * Reading a model's files, defensively: every file is checked to be a regular file before it is
 * opened (a FIFO or a device would block or never end), every name a model file gives is checked
 * to stay inside the model's folder, and reads are bounded. Each failure is a ModelLoadError
 * naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheSnapshotOf } from './cacheSnapshot';
import { ModelLoadError } from './modelLoadError';

const REDOWNLOAD = "re-download it from the model's repository";

/** JSON files of a model (config, tokenizer, index) larger than this are not real ones (the largest tokenizer.json known is ≈ 35 MB). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

function cannotRead(file: string, error: unknown): ModelLoadError {
  return new ModelLoadError(`Cannot read ${file} (${(error as Error).message}); check that it exists and is readable.`);
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The file's stat, links followed; it must be a regular file. */
export function regularFileStat(file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw cannotRead(file, error);
  }
  if (!stat.isFile()) throw new ModelLoadError(`${file} is ${kindOf(stat)}, not a model file; point at a folder of regular files.`);
  return stat;
}

/**
 * Folders a model folder's files may resolve into: the folder itself, and — for a snapshot of
 * the Hugging Face cache, whose files are links to `../../blobs/<hash>` — that model's cache repo.
 */
function allowedRoots(folder: string): string[] {
  const real = fs.realpathSync(folder);
  const snapshot = cacheSnapshotOf(real);
  return snapshot ? [real, snapshot.repoFolder] : [real];
}

const isInside = (root: string, file: string) => {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

/**
 * `name` resolved inside `folder`: a plain relative name that stays inside the folder and, links
 * followed, is a regular file there. `namedBy` is the file that gave the name (a shard index),
 * when a file did: the fix is then to re-download that file.
 */
export function fileInside(folder: string, name: unknown, namedBy?: string): string {
  const refuse = (why: string): never => {
    const fix = namedBy ? `re-download ${path.basename(namedBy)} from the model's repository` : 'copy the file into the folder instead';
    throw new ModelLoadError(`${namedBy ? `${namedBy} names ${JSON.stringify(name)}, which` : `${path.join(folder, String(name))}`} ${why}; only files inside ${folder} are read, so ${fix}.`);
  };
  if (typeof name !== 'string' || name === '') return refuse('is not a file name');
  if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..')) return refuse('leads out of the model folder');
  const file = path.join(folder, name);
  regularFileStat(file);
  const real = fs.realpathSync(file);
  if (!allowedRoots(folder).some((root) => isInside(root, real))) refuse(`is a link to ${real}, outside the model folder`);
  return file;
}

export function readJsonFile(file: string): Record<string, unknown> {
  const { size } = regularFileStat(file);
  if (size > MAX_JSON_BYTES) throw new ModelLoadError(`${file} is ${size} bytes, too large to be a model's JSON file; ${REDOWNLOAD}.`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw cannotRead(file, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${file} is not valid JSON (${(error as Error).message}); ${REDOWNLOAD}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelLoadError(`${file} should hold a JSON object; ${REDOWNLOAD}.`);
  }
  return value as Record<string, unknown>;
}

export function fileSize(file: string): number {
  return regularFileStat(file).size;
}

/** The whole of a small file (a tokenizer); `maxBytes` bounds what is read. */
export function readWholeFile(file: string, maxBytes: number): Buffer {
  const { size } = regularFileStat(file);
  if (size > maxBytes) throw new ModelLoadError(`${file} is ${size} bytes, more than the ${maxBytes} such a file can hold; ${REDOWNLOAD}.`);
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw cannotRead(file, error);
  }
}

/** Reads `length` bytes at `offset`, or fewer when the file ends first. */
export function readBytes(file: string, offset: number, length: number): Buffer {
  regularFileStat(file);
  const buffer = Buffer.alloc(length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const read = fs.readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, read);
  } catch (error) {
    throw cannotRead(file, error);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
