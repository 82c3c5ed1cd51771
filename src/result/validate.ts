/**
 * Checks that data read from a `*.blens.json` file really is a backward-lens/1 or /2 result,
 * against the published JSON Schemas (ajv; /2 refers to /1 for what they share), plus the
 * cross-field facts a schema cannot state (every grid has one entry per token and one row per
 * layer), so a damaged file is refused with a precise message instead of breaking the panel.
 */
import Ajv from 'ajv';
import schema1 from './backward-lens-1.schema.json';
import schema2 from './backward-lens-2.schema.json';
import { RESULT_SCHEMA, RESULT_SCHEMAS, type BackwardLensResult } from './schema';

const ajv = new Ajv({ allErrors: false }).addSchema(schema1);
const validators = { 'backward-lens/1': ajv.getSchema(schema1.$id)!, [RESULT_SCHEMA]: ajv.compile(schema2) };

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
  const validateSchema = validators[schemaName as BackwardLensResult['schema']];
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
  const layerLists = [result.neurons?.layers, result.check?.layers].filter((list) => list !== undefined);
  if (layerLists.some((list) => list.length !== result.model.layers || list.some((entry, i) => entry.layer !== i))) {
    throw new ResultFormatError(`Damaged Backward Lens result: the neuron view and the check need one entry per layer, in order (${result.model.layers}).`);
  }
  const positions = result.neurons?.layers.flatMap((l) => [...l.ff1, ...l.ff2]).flatMap((neuron) => [...neuron.keys, neuron.value]).flatMap((v) => v.positions) ?? [];
  if (positions.some((p) => p.position >= n)) {
    throw new ResultFormatError(`Damaged Backward Lens result: a neuron's contributing position is not one of the ${n} tokens.`);
  }
  return result;
}
