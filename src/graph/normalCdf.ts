/**
 * Φ(x), the standard normal CDF, for the exact GELU x Φ(x): Φ(x) = ½(1 + erf(x/√2)). onnxruntime's
 * Erf node computes it in float32, but its CPU provider has no float64 Erf kernel, so float64
 * graphs (the gradient and reference tests) compose Φ from elementwise nodes instead:
 * Φ(x) = ½ + sign(x)(½ − ½ erfc(|x|/√2)), with erfc from the Chebyshev expansion of Numerical
 * Recipes (3rd ed., §6.2.2), erfc(z) = t exp(−z² + Σ'_j c_j T_j(2t − 1)), t = 2/(2 + z), z ≥ 0,
 * relative error at most 2·10⁻¹⁴ up to z = 10 (checked against mpmath), where Φ is already 0 or 1.
 * Built inside geluErf's composite, which differentiates Φ itself.
 */
import { Graph, Tensor } from './graph';
import * as op from './ops';
import { unaryPlain } from './plain';

const ERFC_CHEBYSHEV = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
  4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
  3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

export function normalCdf(g: Graph, x: Tensor): Tensor {
  const c = (v: number) => g.scalar(v, x.dtype);
  const z = op.mul(g, x, c(Math.SQRT1_2));
  if (x.dtype !== 'float64') return op.mul(g, c(0.5), op.add(g, c(1), unaryPlain(g, 'Erf', z)));
  const halfErfc = op.mul(g, c(0.5), erfc(g, unaryPlain(g, 'Abs', z)));
  return op.add(g, c(0.5), op.mul(g, unaryPlain(g, 'Sign', z), op.sub(g, c(0.5), halfErfc)));
}

/** erfc(z) for z ≥ 0: the Chebyshev series in y = 2t − 1 summed by Clenshaw's recurrence. */
function erfc(g: Graph, z: Tensor): Tensor {
  const c = (v: number) => g.scalar(v, z.dtype);
  const t = op.div(g, c(2), op.add(g, c(2), z));
  const twoY = op.sub(g, op.mul(g, c(4), t), c(2));
  let [d, dd] = [c(ERFC_CHEBYSHEV[ERFC_CHEBYSHEV.length - 1]), c(0)];
  for (let j = ERFC_CHEBYSHEV.length - 2; j > 0; j--) [d, dd] = [op.add(g, op.sub(g, op.mul(g, twoY, d), dd), c(ERFC_CHEBYSHEV[j])), d];
  const series = op.sub(g, op.mul(g, c(0.5), op.add(g, c(ERFC_CHEBYSHEV[0]), op.mul(g, twoY, d))), dd);
  return op.mul(g, t, op.exp(g, op.sub(g, series, op.mul(g, z, z))));
}
