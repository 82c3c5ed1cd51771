/** Paths to the shared read-only models, temporary folders, and reading weights back for checks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WeightRef } from '../../src/model/description';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from './tinyModels';

/** Compiled tests run from out/test/<folder>/, three levels below the repository root; shared/ sits beside the repository. */
export const SHARED_DIR = path.resolve(__dirname, '../../../../shared');
export const STORIES260K_DIR = path.join(SHARED_DIR, 'models/stories260K');
export const STORIES260K_CHECKPOINT = path.join(STORIES260K_DIR, 'stories260K.bin');
export const STORIES260K_TOKENIZER = path.join(STORIES260K_DIR, 'tok512.bin');

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `backward-lens-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The values a WeightRef points at, decoded to float32. */
export function readWeightValues(ref: WeightRef): Float32Array {
  const fd = fs.openSync(ref.file, 'r');
  try {
    const bytes = Buffer.alloc(ref.length);
    fs.readSync(fd, bytes, 0, ref.length, ref.offset);
    if (ref.dtype === 'float32') return Float32Array.from({ length: ref.length / 4 }, (_, i) => bytes.readFloatLE(4 * i));
    const fromBits = ref.dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
    return Float32Array.from({ length: ref.length / 2 }, (_, i) => fromBits(bytes.readUInt16LE(2 * i)));
  } finally {
    fs.closeSync(fd);
  }
}
