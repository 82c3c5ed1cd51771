/**
 * One stored weight as float32 values, whatever its stored dtype. The engine reads the unembedding
 * this way once, to feed it to both CPU sessions from one buffer (see the engine).
 */
import type { WeightRef } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { readBytes } from '../files/read';

/** `fileBytes`: the whole file's bytes, when they replace the file (tests perturb weights this way). */
export function readWeightValues(ref: WeightRef, fileBytes?: Uint8Array): Float32Array {
  const bytes = fileBytes ? new Uint8Array(fileBytes.subarray(ref.offset, ref.offset + ref.length)) : readBytes(ref.file, ref.offset, ref.length);
  if (bytes.length < ref.length) throw new ModelLoadError(`${ref.file} ends before byte ${ref.offset + ref.length}; re-download it from the model's repository.`);
  // Both are fresh buffers (a copy, or readBytes's Buffer.alloc) starting at byte 0, so typed views over them are aligned.
  if (ref.dtype === 'float32') return new Float32Array(bytes.buffer, bytes.byteOffset, ref.length / 4);
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, ref.length / 2);
  return ref.dtype === 'float16' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

/**
 * bfloat16 is the top half of a float32, so widening is a shift. Typed-array loops, not
 * Float32Array.from(…, mapper), which took 28 s for a 51M-element unembedding (the mapper path
 * iterates generically); this takes well under a second.
 */
function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return new Float32Array(bits.buffer);
}

/** Through a table of all 65,536 float16 values, built on first use. */
function float16ToFloat32(halves: Uint16Array): Float32Array {
  float16Table ??= Float32Array.from({ length: 1 << 16 }, (_, bits) => float16BitsToFloat32(bits));
  const values = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) values[i] = float16Table[halves[i]];
  return values;
}

let float16Table: Float32Array | undefined;

/**
 * Vectors of a 2-D weight as float32: rows (axis 0), each read on its own (a token's unembedding
 * row, a neuron's row), or columns (axis 1), picked from the whole weight read once.
 */
export function readWeightVectors(ref: WeightRef, indices: number[], axis: 0 | 1): Float32Array[] {
  const [rows, columns] = ref.shape;
  if (axis === 0) {
    const rowBytes = ref.length / rows;
    return indices.map((row) => readWeightValues({ ...ref, shape: [columns], offset: ref.offset + row * rowBytes, length: rowBytes }));
  }
  const all = readWeightValues(ref);
  return indices.map((column) => Float32Array.from({ length: rows }, (_, row) => all[row * columns + column]));
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
