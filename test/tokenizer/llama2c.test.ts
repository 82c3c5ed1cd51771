import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelLoadError } from '../../src/files/modelLoadError';
import { Llama2cTokenizer, parseLlama2cTokenizer, readLlama2cTokenizer } from '../../src/tokenizer/llama2c';
import { seededRandom } from '../graph/gradcheck';
import { makeTempDir, removeDir, STORIES260K_TOKENIZER } from '../support/fixtures';

/** The first greedy tokens of stories260K from BOS, per its README. */
const ONCE_UPON_A_TIME = [403, 407, 261, 378, 432];
const byteId = (byte: number): number => byte + 3;

describe('llama2.c tokenizer (tok512.bin)', () => {
  let tokenizer: Llama2cTokenizer;
  before(() => {
    tokenizer = readLlama2cTokenizer(STORIES260K_TOKENIZER);
  });

  test('has 512 tokens and BOS id 1', () => {
    assert.equal(tokenizer.vocabSize, 512);
    assert.equal(tokenizer.bosId, 1);
  });

  test('decodes the README greedy ids to " Once upon a time,"', () => {
    assert.equal(tokenizer.decode(ONCE_UPON_A_TIME), ' Once upon a time,');
    // The tenth id is the "g" that starts " girl".
    assert.equal(tokenizer.decode([403, 407, 261, 378, 432, 383, 286, 261, 376, 298]), ' Once upon a time, there was a little g');
  });

  test('encodes "Once upon a time," to the same ids, the dummy-prefix space included', () => {
    assert.deepEqual(tokenizer.encode('Once upon a time,'), ONCE_UPON_A_TIME);
  });

  test('adds no BOS and encodes empty text to nothing', () => {
    assert.notEqual(tokenizer.encode('Hello')[0], tokenizer.bosId);
    assert.deepEqual(tokenizer.encode(''), []);
  });

  test('round-trips text, prepending the single space', () => {
    for (const text of ['Once upon a time', 'Lily said: "héllo 日本"\n', '  two spaces', 'x']) {
      assert.equal(tokenizer.decode(tokenizer.encode(text)), ' ' + text);
    }
  });

  test('falls back to UTF-8 byte pieces for unknown characters and reassembles them', () => {
    const ids = tokenizer.encode('日');
    assert.deepEqual(ids.slice(-3), [byteId(0xe6), byteId(0x97), byteId(0xa5)]);
    assert.equal(tokenizer.decode(ids.slice(-3)), '日');
  });

  test('shows pieces readably', () => {
    assert.equal(tokenizer.tokenText(403), ' Once');
    assert.equal(tokenizer.tokenText(byteId(0x41)), 'A');
    assert.equal(tokenizer.tokenText(byteId(0x0a)), '<0x0A>');
    assert.equal(tokenizer.tokenText(byteId(0xe6)), '<0xE6>');
    assert.equal(tokenizer.tokenText(1), '<s>');
    assert.equal(tokenizer.tokenText(2), '</s>');
  });

  test('leaves BOS and EOS out of decoded text', () => {
    assert.equal(tokenizer.decode([1, ...ONCE_UPON_A_TIME, 2]), ' Once upon a time,');
  });

  test('rejects ids outside the vocabulary', () => {
    assert.throws(() => tokenizer.tokenText(512), RangeError);
  });

  test("merges exactly as llama2.c's quadratic rescan does, on seeded random text", () => {
    const random = seededRandom(7);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz      ,.!?\nTLOé日';
    for (let trial = 0; trial < 200; trial++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 80) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      assert.deepEqual(tokenizer.encode(text), quadraticEncode(tokenizer, text), JSON.stringify(text));
    }
  });

  test('encodes a 100,000-character selection (the queue keeps it O(n log n))', () => {
    const text = 'Once upon a time, there was a little girl named Lily. '.repeat(1900);
    const ids = tokenizer.encode(text);
    assert.equal(tokenizer.decode(ids), ' ' + text);
  });
});

/** llama2.c's encoder as run.c writes it: rescan every adjacent pair after each merge. */
function quadraticEncode(tokenizer: Llama2cTokenizer, text: string): number[] {
  const internals = tokenizer as unknown as { pieces: string[]; scores: number[]; idByPiece: Map<string, number>; characterIds(t: string): number[] };
  const ids = internals.characterIds(' ' + text);
  for (;;) {
    let best = { score: -Infinity, index: -1, id: 0 };
    for (let i = 0; i + 1 < ids.length; i++) {
      const merged = internals.idByPiece.get(internals.pieces[ids[i]] + internals.pieces[ids[i + 1]]);
      if (merged !== undefined && internals.scores[merged] > best.score) best = { score: internals.scores[merged], index: i, id: merged };
    }
    if (best.index < 0) return ids;
    ids.splice(best.index, 2, best.id);
  }
}

describe('llama2.c tokenizer file errors', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('tok');
  });
  after(() => removeDir(dir));

  test('a truncated file is rejected with its name', () => {
    const bytes = fs.readFileSync(STORIES260K_TOKENIZER);
    assert.throws(() => parseLlama2cTokenizer(bytes.subarray(0, bytes.length - 3), 'cut.bin'), (error: Error) => {
      assert.ok(error instanceof ModelLoadError);
      assert.match(error.message, /cut\.bin/);
      return true;
    });
  });

  test('a file whose byte pieces are not at ids 3..258 is rejected', () => {
    const header = Buffer.alloc(4);
    header.writeInt32LE(5);
    const entry = (piece: string): Buffer => {
      const fixed = Buffer.alloc(8);
      fixed.writeInt32LE(Buffer.byteLength(piece), 4);
      return Buffer.concat([fixed, Buffer.from(piece)]);
    };
    const pieces = Array.from({ length: 300 }, (_, i) => entry(`p${i}`));
    assert.throws(() => parseLlama2cTokenizer(Buffer.concat([header, ...pieces]), 'bad.bin'), /byte piece/);
  });

  test('a missing file is a ModelLoadError naming it', () => {
    const missing = path.join(dir, 'missing.bin');
    assert.throws(() => readLlama2cTokenizer(missing), (error: Error) => error instanceof ModelLoadError && error.message.includes(missing));
  });
});
