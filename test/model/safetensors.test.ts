import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { readSafetensorsFolder, readSafetensorsHeader } from '../../src/model/safetensors';
import { makeTempDir, readWeightValues, removeDir } from '../support/fixtures';
import { writeSafetensors, type TinyDType } from '../support/tinyModels';

const tensors = {
  a: { shape: [2, 3], values: Float32Array.from([0.5, -1, 2, 0.25, 3, -0.125]) },
  b: { shape: [4], values: Float32Array.from([1, 2, 3, 4]) },
};

/** A safetensors file written by hand, for headers our writer would never produce. */
function rawSafetensors(header: unknown, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes)]);
}

describe('safetensors headers', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('safetensors');
  });
  after(() => removeDir(dir));

  for (const dtype of ['float32', 'float16', 'bfloat16'] as TinyDType[]) {
    test(`${dtype}: absolute offsets that read back the stored values`, () => {
      const file = path.join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, tensors, dtype);
      const weights = readSafetensorsHeader(file);
      assert.deepEqual(Object.keys(weights).sort(), ['a', 'b']);
      const headerEnd = 8 + Number(fs.readFileSync(file).readBigUInt64LE(0));
      const bytes = dtype === 'float32' ? 4 : 2;
      assert.deepEqual(weights.a, { file, dtype, shape: [2, 3], offset: headerEnd, length: 6 * bytes });
      assert.equal(weights.b.offset, headerEnd + 6 * bytes);
      assert.deepEqual(readWeightValues(weights.a), tensors.a.values);
      assert.deepEqual(readWeightValues(weights.b), tensors.b.values);
    });
  }

  const rejects = (name: string, bytes: Buffer, pattern: RegExp): void => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => readSafetensorsHeader(file),
      (error: Error) => error instanceof ModelLoadError && pattern.test(error.message) && error.message.includes(file),
    );
  };

  test('unsupported dtypes are named', () => {
    rejects('int8.safetensors', rawSafetensors({ q: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, 4), /dtype I8.*F32, F16, BF16/);
  });

  test('a header length beyond the file is rejected', () => {
    const bytes = rawSafetensors({}, 0);
    bytes.writeBigUInt64LE(1000n, 0);
    rejects('long-header.safetensors', bytes, /header claims 1000 bytes/);
  });

  test('a truncated data section is rejected', () => {
    rejects('short.safetensors', rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /past the end/);
  });

  test('a size that disagrees with the shape is rejected', () => {
    rejects('shape.safetensors', rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, 16), /needs 12/);
  });

  test('a header that is not JSON is rejected', () => {
    const bytes = rawSafetensors({}, 0);
    bytes.write('!', 8);
    rejects('json.safetensors', bytes, /corrupt safetensors header/);
  });

  test('sharded folders merge the shards named by the index', () => {
    const folder = path.join(dir, 'sharded');
    fs.mkdirSync(folder);
    writeSafetensors(path.join(folder, 'one.safetensors'), { a: tensors.a }, 'float32');
    writeSafetensors(path.join(folder, 'two.safetensors'), { b: tensors.b }, 'float32');
    const index = { metadata: {}, weight_map: { a: 'one.safetensors', b: 'two.safetensors' } };
    fs.writeFileSync(path.join(folder, 'model.safetensors.index.json'), JSON.stringify(index));
    const { weights, files } = readSafetensorsFolder(folder);
    assert.deepEqual(files, [path.join(folder, 'one.safetensors'), path.join(folder, 'two.safetensors')]);
    assert.equal(weights.a.file, files[0]);
    assert.equal(weights.b.file, files[1]);

    index.weight_map.b = 'one.safetensors';
    fs.writeFileSync(path.join(folder, 'model.safetensors.index.json'), JSON.stringify(index));
    assert.throws(() => readSafetensorsFolder(folder), /"b" is in one\.safetensors, but that shard does not contain it/);
  });

  test('a folder without safetensors weights says so', () => {
    const folder = path.join(dir, 'empty');
    fs.mkdirSync(folder);
    assert.throws(() => readSafetensorsFolder(folder), /neither model\.safetensors nor model\.safetensors\.index\.json/);
  });
});
