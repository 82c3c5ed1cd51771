/**
 * Checks that data read from a `*.blens.json` file really is a backward-lens/1 or /2 result,
 * against the published JSON Schemas (ajv; /2 refers to /1 for what they share), plus the
 * cross-field facts a schema cannot state (every grid has one entry per token and one row per
 * layer), so a damaged file is refused with a precise message instead of breaking the panel.
 * Sizes are bounded too (RESULT_LIMITS): a file can be valid and still too large for a panel to
 * lay out. The extension host runs this on every result it did not compute itself, opened files
 * and restored panels alike, before a webview draws it (ajv compiles with `new Function`, which
 * the webview's CSP forbids).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import schema1 from './backward-lens-1.schema.json';
import schema2 from './backward-lens-2.schema.json';
import { RESULT_SCHEMA, RESULT_SCHEMAS, type BackwardLensResult } from './schema';
import { editsProblem } from './validateEdits';

type Validators = Record<BackwardLensResult['schema'], ValidateFunction>;
let compiled: Validators | undefined;

/** Compiled on the first validation, not at import: compiling takes ≈ 180 ms, which every CLI run that only writes results would pay. */
function validators(): Validators {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: false }).addSchema(schema1);
  compiled = { 'backward-lens/1': ajv.getSchema(schema1.$id)!, [RESULT_SCHEMA]: ajv.compile(schema2) };
  return compiled;
}

/**
 * What a result may hold. Tokens: the extension's analyses stay within it (the token limit is
 * at most this); cells: tokens × layers per grid, which the panel lays out; top-k: the engine's
 * TOP_K_RANGE.max; listed tokens: all top-k and bottom-k lists together; characters: one token's
 * text, and the prompt or target.
 */
export const RESULT_LIMITS = { tokens: 8192, layers: 1024, cells: 65_536, topK: 256, listedTokens: 4_194_304, tokenChars: 1024, textChars: 1 << 20 } as const;

export class ResultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultFormatError';
  }
}

export function validateResult(data: unknown): BackwardLensResult {
  const schemaName = (data as { schema?: unknown } | null)?.schema;
  if (!RESULT_SCHEMAS.includes(schemaName as BackwardLensResult['schema'])) {
    const [older] = RESULT_SCHEMAS;
    throw new ResultFormatError(`Not a Backward Lens result: expected "schema": "${older}", found ${JSON.stringify(schemaName)}; this version writes "${RESULT_SCHEMA}" and opens both.`);
  }
  const validateSchema = validators()[schemaName as BackwardLensResult['schema']];
  if (!validateSchema(data)) {
    const [error] = validateSchema.errors ?? [];
    throw new ResultFormatError(`Damaged Backward Lens result: ${error?.instancePath || '(top level)'} ${error?.message ?? 'is invalid'}.`);
  }
  const result = data as unknown as BackwardLensResult;
  checkSizes(result);
  const n = result.tokens.length;
  if (result.layers.length !== result.model.layers) {
    throw new ResultFormatError(`Damaged Backward Lens result: ${result.layers.length} layers listed for a ${result.model.layers}-layer model.`);
  }
  for (const layer of result.layers) {
    for (const grid of ['ff1', 'ff2'] as const) {
      const row = layer[grid];
      if ([row.norms, row.top, row.bottom, row.targetRank].some((column) => column.length !== n)) {
        throw new ResultFormatError(`Damaged Backward Lens result: layer ${layer.layer} ${grid} does not have one entry per token (${n}).`);
      }
    }
  }
  if ([result.rankIds, result.lossWeights].some((column) => column.length !== n)) {
    throw new ResultFormatError(`Damaged Backward Lens result: rankIds and lossWeights need one entry per token (${n}).`);
  }
  const layerLists = [result.neurons?.layers, result.check?.layers].filter((list) => list !== undefined);
  if (layerLists.some((list) => list.length !== result.model.layers || list.some((entry, i) => entry.layer !== i))) {
    throw new ResultFormatError(`Damaged Backward Lens result: the neuron view and the check need one entry per layer, in order (${result.model.layers}).`);
  }
  const positions = result.neurons?.layers.flatMap((l) => [...l.ff1, ...l.ff2]).flatMap((neuron) => [...neuron.keys, neuron.value]).flatMap((v) => v.positions) ?? [];
  if (positions.some((p) => p.position >= n)) {
    throw new ResultFormatError(`Damaged Backward Lens result: a neuron's contributing position is not one of the ${n} tokens.`);
  }
  const edits = editsProblem(result, RESULT_LIMITS);
  if (edits) throw new ResultFormatError(`Damaged Backward Lens result: ${edits}.`);
  return result;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** "…too large to show: 200,000 tokens (at most 8,192)." */
function tooLarge(found: number, what: string, limit: number): ResultFormatError {
  return new ResultFormatError(`This Backward Lens result is too large to show: ${count(found)} ${what} (at most ${count(limit)}).`);
}

/** Refuses a result larger than RESULT_LIMITS, in time linear in its size. */
function checkSizes(result: BackwardLensResult): void {
  const tokens = result.tokens.length;
  const layers = result.layers.length;
  if (tokens > RESULT_LIMITS.tokens) throw tooLarge(tokens, 'tokens', RESULT_LIMITS.tokens);
  if (layers > RESULT_LIMITS.layers) throw tooLarge(layers, 'layers', RESULT_LIMITS.layers);
  if (tokens * layers > RESULT_LIMITS.cells) throw tooLarge(tokens * layers, `cells in each grid, ${count(tokens)} tokens × ${count(layers)} layers`, RESULT_LIMITS.cells);
  if (result.lens.topK > RESULT_LIMITS.topK) throw tooLarge(result.lens.topK, 'tokens a cell (top-k)', RESULT_LIMITS.topK);
  for (const text of [result.prompt, result.target]) {
    if (text.length > RESULT_LIMITS.textChars) throw tooLarge(text.length, 'characters of text', RESULT_LIMITS.textChars);
  }
  const checkToken = (t: { text: string }): void => {
    if (t.text.length > RESULT_LIMITS.tokenChars) throw tooLarge(t.text.length, 'characters in one token', RESULT_LIMITS.tokenChars);
  };
  [result.tokens, result.targetTokens, result.prediction].forEach((list) => list.forEach(checkToken));
  let listed = 0;
  for (const layer of result.layers) {
    for (const row of [layer.ff1, layer.ff2]) {
      for (const lists of [row.top, row.bottom]) {
        for (const list of lists) {
          if (list.length > result.lens.topK) {
            throw new ResultFormatError(`Damaged Backward Lens result: layer ${layer.layer} lists ${count(list.length)} tokens in a cell of top-k ${result.lens.topK}.`);
          }
          listed += list.length;
          list.forEach(checkToken);
        }
      }
    }
  }
  if (listed > RESULT_LIMITS.listedTokens) throw tooLarge(listed, 'listed tokens in all cells', RESULT_LIMITS.listedTokens);
}
