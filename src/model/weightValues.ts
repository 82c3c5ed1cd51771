/**
 * One stored weight as float32 values, whatever its stored dtype. The engine reads the unembedding
 * this way once, to feed it to both CPU sessions from one buffer (see the engine).
 */
import * as fs from 'node:fs';
import type { WeightRef } from './description';

/** `fileBytes`: the whole file's bytes, when they replace the file (tests perturb weights this way). */
export function readWeightValues(ref: WeightRef, fileBytes?: Uint8Array): Float32Array {
  const bytes = new Uint8Array(ref.length);
  if (fileBytes) bytes.set(fileBytes.subarray(ref.offset, ref.offset + ref.length));
  else readFileRange(ref.file, bytes, ref.offset);
  if (ref.dtype === 'float32') return new Float32Array(bytes.buffer, 0, ref.length / 4);
  const halves = new Uint16Array(bytes.buffer, 0, ref.length / 2);
  const fromBits = ref.dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
  return Float32Array.from(halves, fromBits);
}

function readFileRange(file: string, into: Uint8Array, offset: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    for (let done = 0; done < into.length; ) {
      const read = fs.readSync(fd, into, done, into.length - done, offset + done);
      if (read === 0) throw new Error(`${file} ends before byte ${offset + into.length}`);
      done += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
