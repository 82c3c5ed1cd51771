/**
 * The tokenizer of llama2.c checkpoints (`tokenizer.bin`, `tok512.bin`). Hand-written because the
 * file is llama2.c's own binary format, which no tokenizer library reads.
 *
 * Format: int32 max_token_length, then per id: float32 merge score, int32 byte length, UTF-8 bytes.
 * Id 0 is `<unk>`, 1 is BOS, 2 is EOS, 3..258 are the byte-fallback pieces `<0x00>`..`<0xFF>`.
 */
import * as path from 'node:path';
import TinyQueue from 'tinyqueue';
import { ModelLoadError } from '../files/modelLoadError';
import { readWholeFile } from '../files/read';
import type { Tokenizer } from './tokenizer';

const BOS_ID = 1;
const EOS_ID = 2;
const FIRST_BYTE_ID = 3;
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export class Llama2cTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId = BOS_ID;
  readonly longestPiece: number;
  private readonly idByPiece = new Map<string, number>();

  constructor(
    private readonly pieces: string[],
    private readonly scores: number[],
  ) {
    this.vocabSize = pieces.length;
    this.longestPiece = pieces.reduce((longest, piece) => Math.max(longest, piece.length), 1);
    // llama2.c looks pieces up by binary search; on a duplicate piece the first id is as good as any.
    pieces.forEach((piece, id) => {
      if (!this.idByPiece.has(piece)) this.idByPiece.set(piece, id);
    });
  }

  /**
   * llama2.c's encoder without the BOS (the engine adds it): a single space is prepended to
   * non-empty text, as llama2.c does (sentencepiece's "dummy prefix"), so "Once" encodes like
   * " Once" and `decode(encode(x))` is `" " + x`. Characters go to their piece, or to their
   * UTF-8 byte pieces when the vocabulary lacks them; then the adjacent pair whose concatenation
   * is the highest-scoring piece is merged, until no pair merges.
   */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.mergePairs(this.characterIds(' ' + text));
  }

  tokenText(id: number): string {
    const piece = this.pieceOf(id);
    if (id < FIRST_BYTE_ID) return piece.trim(); // BOS/EOS pieces are stored as "\n<s>\n".
    const byte = byteOfPiece(piece);
    if (byte === undefined) return piece;
    return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : piece;
  }

  /** Joins the pieces; byte pieces become raw bytes, so split UTF-8 characters reassemble. BOS and EOS are markers, not text. */
  decode(ids: number[]): string {
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (const id of ids) {
      if (id === BOS_ID || id === EOS_ID) continue;
      const piece = this.pieceOf(id);
      const byte = byteOfPiece(piece);
      if (byte !== undefined) bytes.push(byte);
      else bytes.push(...encoder.encode(piece));
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  private pieceOf(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new RangeError(`Token id ${id} is outside the vocabulary of ${this.vocabSize} tokens.`);
    return piece;
  }

  private characterIds(text: string): number[] {
    const ids: number[] = [];
    const encoder = new TextEncoder();
    for (const char of text) {
      const id = this.idByPiece.get(char);
      if (id !== undefined) ids.push(id);
      else for (const byte of encoder.encode(char)) ids.push(byte + FIRST_BYTE_ID);
    }
    return ids;
  }

  /**
   * llama2.c's greedy merge: the adjacent pair whose merged piece scores highest merges first
   * (on equal scores the leftmost), until no pair merges. llama2.c rescans the whole sequence
   * after every merge, which is quadratic (a 16k-character selection took 9.7 s); here the
   * candidate pairs wait in a priority queue over a linked list, and a popped pair whose tokens
   * changed since it was queued is skipped, so the same merges happen in O(n log n).
   */
  private mergePairs(ids: number[]): number[] {
    const next = Int32Array.from(ids, (_, i) => (i + 1 < ids.length ? i + 1 : -1));
    const previous = Int32Array.from(ids, (_, i) => i - 1);
    const version = new Int32Array(ids.length);
    const queue = new TinyQueue<Candidate>([], (a, b) => b.score - a.score || a.left - b.left);
    const consider = (left: number): void => {
      const right = next[left];
      if (left < 0 || right < 0) return;
      const merged = this.idByPiece.get(this.pieces[ids[left]] + this.pieces[ids[right]]);
      // Strictly above −∞, as llama2.c's strict comparison: a −∞ or NaN score never merges.
      if (merged !== undefined && this.scores[merged] > -Infinity) {
        queue.push({ score: this.scores[merged], left, right, merged, leftVersion: version[left], rightVersion: version[right] });
      }
    };
    for (let i = 0; i + 1 < ids.length; i++) consider(i);
    const mergedAway = new Uint8Array(ids.length);
    for (let c = queue.pop(); c; c = queue.pop()) {
      if (mergedAway[c.left] || mergedAway[c.right] || next[c.left] !== c.right || version[c.left] !== c.leftVersion || version[c.right] !== c.rightVersion) continue;
      ids[c.left] = c.merged;
      version[c.left]++;
      mergedAway[c.right] = 1;
      next[c.left] = next[c.right];
      if (next[c.right] >= 0) previous[next[c.right]] = c.left;
      consider(previous[c.left]);
      consider(c.left);
    }
    return ids.filter((_, i) => !mergedAway[i]);
  }
}

/** A pair of adjacent tokens that could merge, as it was when queued. */
interface Candidate {
  score: number;
  left: number;
  right: number;
  merged: number;
  leftVersion: number;
  rightVersion: number;
}

function byteOfPiece(piece: string): number | undefined {
  const match = BYTE_PIECE.exec(piece);
  return match ? parseInt(match[1], 16) : undefined;
}

/** Parses a whole llama2.c tokenizer file; the vocabulary size is however many entries it holds. */
export function parseLlama2cTokenizer(bytes: Uint8Array, fileName: string): Llama2cTokenizer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  const scores: number[] = [];
  const fail = (what: string): never => {
    throw new ModelLoadError(
      `The llama2.c tokenizer ${fileName} is not valid (${what}); use the tokenizer .bin that was exported with the checkpoint.`,
    );
  };
  if (bytes.byteLength < 4) fail('it is shorter than its 4-byte header');
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0) fail(`its max token length is ${maxTokenLength}`);
  let offset = 4;
  while (offset < bytes.byteLength) {
    if (offset + 8 > bytes.byteLength) fail(`entry ${pieces.length} is cut off`);
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    if (length < 0 || length > maxTokenLength || offset + 8 + length > bytes.byteLength) {
      fail(`entry ${pieces.length} has an impossible length of ${length} bytes`);
    }
    scores.push(score);
    pieces.push(decoder.decode(bytes.subarray(offset + 8, offset + 8 + length)));
    offset += 8 + length;
  }
  if (pieces.length < FIRST_BYTE_ID + 256) fail(`it holds ${pieces.length} tokens, fewer than the 259 special and byte pieces`);
  // The encoder's byte fallback computes ids as byte + 3, so those ids must hold the byte pieces.
  const misplaced = pieces.slice(FIRST_BYTE_ID, FIRST_BYTE_ID + 256).findIndex((piece, byte) => byteOfPiece(piece) !== byte);
  if (misplaced >= 0) fail(`id ${misplaced + FIRST_BYTE_ID} should be the byte piece for 0x${misplaced.toString(16).toUpperCase().padStart(2, '0')}`);
  return new Llama2cTokenizer(pieces, scores);
}

/** llama2.c tokenizers of 32k tokens are ≈ 0.5 MB; this bounds what a corrupt path can make us read. */
const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;

export function readLlama2cTokenizer(file: string): Llama2cTokenizer {
  return parseLlama2cTokenizer(readWholeFile(file, MAX_TOKENIZER_BYTES), path.basename(file));
}
