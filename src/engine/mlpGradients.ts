/**
 * Each MLP weight's gradient as the paper writes it, ∇W = Σ_i a_iᵀ b_i over the T positions
 * (W [in, out] in the row-vector convention x·W): FF1 a = x_i, b = its VJP; FF2 a = h_i, b = δ_i.
 * Only the factors are kept; the [in × out] gradient is never formed.
 */
import { mlpWeightNames } from '../graph/models/transformer';
import type { ModelDescription } from '../model/description';
import type { Floats, GradientPass } from './gradientPass';

export interface OuterProductSum {
  /** The weight, by Hugging Face name. */
  weight: string;
  role: 'ff1' | 'ff2';
  /** [T, in] and [T, out], row i holding a_i and b_i. */
  a: Floats;
  b: Floats;
  inFeatures: number;
  outFeatures: number;
}

/** Rows layer·T … layer·T + T − 1 of a layer-major [layers·T, width] output. */
export function layerRows(stacked: Floats, layer: number, T: number, width: number): Floats {
  return stacked.subarray(layer * T * width, (layer + 1) * T * width);
}

/** The layer's MLP weights' gradients, FF1 first (Llama: gate, up), then FF2. Needs a pass with factors. */
export function mlpGradients(model: ModelDescription, gradients: GradientPass, T: number, layer: number): OuterProductSum[] {
  const { hiddenSize: d, intermediateSize: dff } = model.config;
  if (!gradients.factors) throw new Error('the gradient pass was run without its factor outputs');
  const names = mlpWeightNames(model.config, layer);
  const x = layerRows(gradients.ff1Input, layer, T, d);
  const ff1Vjp = layerRows(gradients.factors.ff1Vjp, layer, T, dff * names.ff1.length);
  const ff1 = names.ff1.map((weight, k): OuterProductSum => ({
    weight,
    role: 'ff1',
    a: x,
    b: names.ff1.length === 1 ? ff1Vjp : columns(ff1Vjp, T, dff * names.ff1.length, k * dff, dff),
    inFeatures: d,
    outFeatures: dff,
  }));
  const h = layerRows(gradients.factors.ff2Input, layer, T, dff);
  return [...ff1, { weight: names.ff2, role: 'ff2', a: h, b: layerRows(gradients.ff2Vjp, layer, T, d), inFeatures: dff, outFeatures: d }];
}

/** Columns first … first + count − 1 of a [rows, width] matrix, as a [rows, count] copy (Llama's gate and up VJPs travel side by side). */
function columns(matrix: Floats, rows: number, width: number, first: number, count: number): Floats {
  const out = new (matrix.constructor as Float32ArrayConstructor)(rows * count);
  for (let r = 0; r < rows; r++) out.set(matrix.subarray(r * width + first, r * width + first + count), r * count);
  return out;
}
