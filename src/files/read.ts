/** Small file helpers shared by the loaders; each failure becomes a ModelLoadError naming the file. */
import * as fs from 'node:fs';
import { ModelLoadError } from './modelLoadError';

const REDOWNLOAD = "re-download it from the model's repository";

export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelLoadError(`Cannot read ${file} (${(error as Error).message}); check that it exists and is readable.`);
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
  try {
    return fs.statSync(file).size;
  } catch (error) {
    throw new ModelLoadError(`Cannot read ${file} (${(error as Error).message}); check that it exists and is readable.`);
  }
}

/** Reads `length` bytes at `offset`, or fewer when the file ends first. */
export function readBytes(file: string, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const read = fs.readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, read);
  } catch (error) {
    throw new ModelLoadError(`Cannot read ${file} (${(error as Error).message}); check that it exists and is readable.`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
