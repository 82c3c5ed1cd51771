/**
 * The lens over every cell: each layer's x_i (FF1) and δ_i (FF2) projected through the lens
 * session in blocks of rows, with progress and cancellation between blocks. Zero vectors with the
 * same rank token give the same read-out, so each such pair is projected once (δ is exactly 0 at
 * every last-layer position that carries no loss).
 */
import * as ort from 'onnxruntime-node';
import { IO } from '../graph/backwardLensGraph';
import type { RunControl } from './api';
import type { Floats } from './gradientPass';
import type { GraphSession } from './sessionCache';

/**
 * Rows per lens run, at most. The lens's memory grows with rows × vocabulary chunk, not rows × V:
 * 512 rows keep a tensor near 8 MB (GPT-2 small, T = 32: 40 MB less resident than 1024, same speed).
 */
const LENS_BLOCK_ROWS = 512;

export interface LensCells {
  /** x_i of every layer, then δ_i of every layer: [layers·T, d] each, layer-major. */
  ff1: Floats;
  ff2: Floats;
  /** The vectors' width d. */
  width: number;
  /** Each position's rank token, whose rank in LL(v) a cell reports. */
  rankIds: number[];
  topK: number;
}

/** The lens read-out of every cell (FF1 cells first, then FF2; layer-major, then position); top and bottom hold topK entries a cell. */
export interface LensReadout {
  norms: Float32Array;
  ranks: Float32Array;
  topIds: BigInt64Array;
  topLogProbs: Float32Array;
  bottomIds: BigInt64Array;
  bottomLogProbs: Float32Array;
}

const LENS_OUTPUTS = [IO.norms, IO.targetRanks, IO.topIds, IO.topLogProbs, IO.bottomIds, IO.bottomLogProbs];

export async function runLens(session: GraphSession, cells: LensCells, control: RunControl = {}): Promise<LensReadout> {
  const { ff1, ff2, width: d, rankIds, topK } = cells;
  const count = (ff1.length + ff2.length) / d;
  const T = rankIds.length;
  const vectorOf = (c: number) => (c * d < ff1.length ? ff1.subarray(c * d, (c + 1) * d) : ff2.subarray(c * d - ff1.length, (c + 1) * d - ff1.length));
  const { projected, sourceRow } = distinctRows(count, vectorOf, (c) => rankIds[c % T]);
  const vectors = new (ff1.constructor as Float32ArrayConstructor)(projected.length * d);
  projected.forEach((c, r) => vectors.set(vectorOf(c), r * d));
  const rowRankIds = BigInt64Array.from(projected, (c) => BigInt(rankIds[c % T]));
  const read = await projectRows(session, { vectors, width: d, rankIds: rowRankIds, topK }, control);
  return projected.length === count ? read : expandRows(read, sourceRow, topK);
}

export interface LensRows {
  /** [rows, width], row-major, in the session's compute dtype. */
  vectors: Floats;
  width: number;
  /** Each row's rank token. */
  rankIds: BigInt64Array;
  topK: number;
}

/** The lens read-out of every row, in blocks of at most LENS_BLOCK_ROWS, with progress and cancellation between blocks. */
export async function projectRows(session: GraphSession, lensRows: LensRows, control: RunControl = {}): Promise<LensReadout> {
  const { vectors, width: d, rankIds: rowRankIds, topK } = lensRows;
  const rows = rowRankIds.length;
  const read = emptyReadout(rows, topK);
  const blockRows = Math.ceil(rows / Math.ceil(rows / LENS_BLOCK_ROWS));
  const blocks = Math.ceil(rows / blockRows);
  control.onProgress?.({ stage: 'lens', done: 0, total: blocks });
  for (let block = 0; block < blocks; block++) {
    control.signal?.throwIfAborted();
    const first = block * blockRows;
    const size = Math.min(blockRows, rows - first);
    const out = await session.run(
      {
        [IO.lensVectors]: new ort.Tensor(session.computeDType, vectors.subarray(first * d, (first + size) * d), [size, d]),
        [IO.lensRankIds]: new ort.Tensor('int64', rowRankIds.subarray(first, first + size), [size]),
        [IO.topK]: new ort.Tensor('int64', BigInt64Array.of(BigInt(topK)), [1]),
      },
      LENS_OUTPUTS,
    );
    read.norms.set(out[IO.norms].data as Float32Array, first);
    read.ranks.set(out[IO.targetRanks].data as Float32Array, first);
    read.topIds.set(out[IO.topIds].data as BigInt64Array, first * topK);
    read.topLogProbs.set(out[IO.topLogProbs].data as Float32Array, first * topK);
    read.bottomIds.set(out[IO.bottomIds].data as BigInt64Array, first * topK);
    read.bottomLogProbs.set(out[IO.bottomLogProbs].data as Float32Array, first * topK);
    control.onProgress?.({ stage: 'lens', done: block + 1, total: blocks });
  }
  return read;
}

function emptyReadout(rows: number, topK: number): LensReadout {
  return {
    norms: new Float32Array(rows),
    ranks: new Float32Array(rows),
    topIds: new BigInt64Array(rows * topK),
    topLogProbs: new Float32Array(rows * topK),
    bottomIds: new BigInt64Array(rows * topK),
    bottomLogProbs: new Float32Array(rows * topK),
  };
}

/**
 * The cells to project: every non-zero vector, and the first zero vector of each rank token.
 * `sourceRow[c]` is the projected row whose read-out cell c shares.
 */
function distinctRows(cells: number, vectorOf: (cell: number) => ArrayLike<number>, rankIdOf: (cell: number) => number) {
  const projected: number[] = [];
  const sourceRow = new Int32Array(cells);
  const zeroRowByRankId = new Map<number, number>();
  for (let c = 0; c < cells; c++) {
    const vector = vectorOf(c);
    let zero = true;
    for (let i = 0; i < vector.length && zero; i++) zero = vector[i] === 0;
    const shared = zero ? zeroRowByRankId.get(rankIdOf(c)) : undefined;
    if (shared !== undefined) {
      sourceRow[c] = shared;
      continue;
    }
    sourceRow[c] = projected.length;
    if (zero) zeroRowByRankId.set(rankIdOf(c), projected.length);
    projected.push(c);
  }
  return { projected, sourceRow };
}

/** Per-cell read-out from per-projected-row read-out. */
function expandRows(read: LensReadout, sourceRow: Int32Array, topK: number): LensReadout {
  const cells = sourceRow.length;
  const perCell = <A extends Float32Array | BigInt64Array>(rows: A, width: number): A => {
    const out = new (rows.constructor as { new (n: number): A })(cells * width);
    sourceRow.forEach((r, c) => out.set(rows.subarray(r * width, (r + 1) * width) as never, c * width));
    return out;
  };
  return {
    norms: perCell(read.norms, 1),
    ranks: perCell(read.ranks, 1),
    topIds: perCell(read.topIds, topK),
    topLogProbs: perCell(read.topLogProbs, topK),
    bottomIds: perCell(read.bottomIds, topK),
    bottomLogProbs: perCell(read.bottomLogProbs, topK),
  };
}
