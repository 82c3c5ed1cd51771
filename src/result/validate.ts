/**
 * Checks that data read from a `*.blens.json` file really is a backward-lens/1 result, against
 * the published JSON Schema (ajv), plus the cross-field facts a schema cannot state (every grid
 * has one entry per token and one row per layer), so a damaged file is refused with a precise
 * message instead of breaking the panel.
 */
import Ajv from 'ajv';
import schema from './backward-lens-1.schema.json';
import { RESULT_SCHEMA, type BackwardLensResult } from './schema';

const validateSchema = new Ajv({ allErrors: false }).compile(schema);

export class ResultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultFormatError';
  }
}

export function validateResult(data: unknown): BackwardLensResult {
  const schemaName = (data as { schema?: unknown } | null)?.schema;
  if (schemaName !== RESULT_SCHEMA) {
    throw new ResultFormatError(`Not a Backward Lens result: expected "schema": "${RESULT_SCHEMA}", found ${JSON.stringify(schemaName)}.`);
  }
  if (!validateSchema(data)) {
    const [error] = validateSchema.errors ?? [];
    throw new ResultFormatError(`Damaged Backward Lens result: ${error?.instancePath || '(top level)'} ${error?.message ?? 'is invalid'}.`);
  }
  const result = data as unknown as BackwardLensResult;
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
  return result;
}
