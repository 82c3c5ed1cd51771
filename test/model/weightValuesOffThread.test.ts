import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { WeightDType, WeightRef } from '../../src/model/description';
import { readWeightValues } from '../../src/model/weightValues';
import { readWeightValuesOffThread } from '../../src/model/weightValuesOffThread';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { makeTempDir, removeDir } from '../support/fixtures';

/** A weight of `bytes` pseudo-random bytes after a 7-byte header, so it starts unaligned; compared as bytes, NaNs included. */
function weightFile(dir: string, bytes: number, dtype: WeightDType): WeightRef {
  const file = path.join(dir, `${dtype}.bin`);
  const data = Buffer.alloc(7 + bytes);
  let seed = 12345;
  for (let i = 7; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = seed >>> 24;
  }
  fs.writeFileSync(file, data);
  const width = dtype === 'float32' ? 4 : 2;
  return { file, dtype, shape: [bytes / width], offset: 7, length: bytes };
}

test('a weight read on its own thread equals the one read here, in every stored dtype, above and below the size that takes a thread', async () => {
  const dir = makeTempDir('blens-offthread-');
  try {
    for (const dtype of ['float32', 'float16', 'bfloat16'] as WeightDType[]) {
      for (const bytes of [1 << 12, 20 << 20]) {
        const ref = weightFile(dir, bytes, dtype);
        const here = readWeightValues(ref);
        const there = await readWeightValuesOffThread(ref);
        assert.equal(there.length, here.length, `${dtype} ${bytes}`);
        assert.ok(Buffer.from(there.buffer, there.byteOffset, there.byteLength).equals(Buffer.from(here.buffer, here.byteOffset, here.byteLength)), `${dtype} ${bytes}: values differ`);
      }
    }
  } finally {
    removeDir(dir);
  }
});

test("a truncated weight file is the engine's ModelLoadError, from the thread too", async () => {
  const dir = makeTempDir('blens-offthread-');
  try {
    const ref = weightFile(dir, 20 << 20, 'bfloat16');
    fs.truncateSync(ref.file, 1 << 20);
    await assert.rejects(readWeightValuesOffThread(ref), (err: Error) => err instanceof ModelLoadError && /ends before byte .*re-download/.test(err.message));
  } finally {
    removeDir(dir);
  }
});
