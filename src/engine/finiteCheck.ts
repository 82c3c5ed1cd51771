/**
 * A NaN or an infinity anywhere in the loss or the factors makes every number of a result
 * meaningless (and JSON writes NaN as null), so such a run is refused as a whole, naming where
 * the first one appeared. It almost always means non-finite weights in the checkpoint.
 */
import type { Floats, GradientPass } from './gradientPass';

export class NonFiniteResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteResultError';
  }
}

function firstNonFinite(values: Floats): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Throws unless the loss and every x_i and δ_i are finite; factors are [layers·T, width], layer-major. */
export function assertFinite(gradients: GradientPass, modelName: string, tokens: number, width: number): void {
  const fail = (what: string): never => {
    throw new NonFiniteResultError(
      `${modelName} computed ${what} on this prompt: its weights probably hold NaN or infinite values; check the checkpoint (or re-download it).`,
    );
  };
  if (!Number.isFinite(gradients.loss)) fail(`a loss of ${gradients.loss}`);
  for (const [name, values] of [['x_i (FF1 input)', gradients.ff1Input], ['δ_i (FF2 VJP)', gradients.ff2Vjp]] as const) {
    const at = firstNonFinite(values);
    if (at < 0) continue;
    const row = Math.floor(at / width);
    fail(`a non-finite ${name} at layer ${Math.floor(row / tokens)}, position ${row % tokens}`);
  }
}
