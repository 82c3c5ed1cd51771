/**
 * How the paper's experiments read, wherever they are drawn (panel, report, CLI): the gradient
 * check's verdict against the issue's threshold, a neuron's weight vectors' names and positions.
 */
import type { GradientCheck, LayerCheck, NeuronVector, PositionWeight } from './schema';
import type { GridName } from './view';

/** The neuron view's SGD step when a request names none. */
export const DEFAULT_NEURON_ETA = 1;

/** How many neurons per list the panel asks for unless the user picks another N: a layer's lists stay one screen. */
export const DEFAULT_NEURON_COUNT = 5;

/** A relative error below this passes: float32 runs stay near 3·10⁻⁴ (gradientCheck.ts). */
export const CHECK_THRESHOLD = 1e-3;

export interface CheckReading {
  layer: number;
  grid: GridName;
  error: number;
}

export interface CheckSummary {
  passed: boolean;
  worst: CheckReading;
  /** The readings at or above the threshold. */
  failing: CheckReading[];
  /** One line: the verdict and the worst layer. */
  text: string;
  /** What was compared, and every layer's relative errors. */
  explanation: string;
}

export const formatError = (error: number): string => error.toExponential(1);

function readings(l: LayerCheck): CheckReading[] {
  return (['ff1', 'ff2'] as const).map((grid) => ({ layer: l.layer, grid, error: l[grid].relativeError }));
}

/** A NaN error (a loss that did not come out finite) is the worst there is. */
const severity = (r: CheckReading): number => (Number.isNaN(r.error) ? Infinity : r.error);

export function checkSummary(check: GradientCheck): CheckSummary {
  const all = check.layers.flatMap(readings);
  const worst = all.reduce((w, r) => (severity(r) > severity(w) ? r : w));
  const failing = all.filter((r) => severity(r) >= CHECK_THRESHOLD);
  const where = (r: CheckReading) => `layer ${r.layer} ${r.grid.toUpperCase()}`;
  const verdict = failing.length === 0 ? '✓ passed' : `✗ failed in ${failing.length} of ${all.length}`;
  const text = `${verdict} · worst relative error ${formatError(worst.error)} (${where(worst)}) · threshold ${formatError(CHECK_THRESHOLD)}`;
  const byLayer = check.layers.map((l) => `layer ${l.layer}: FF1 ${formatError(l.ff1.relativeError)}, FF2 ${formatError(l.ff2.relativeError)}`).join('; ');
  const explanation =
    `Per layer and MLP matrix, ⟨∇W, E⟩ from the factors, Σ_i (a_i·u)(b_i·v), against the central difference (L(W + εE) − L(W − εE)) / 2ε ` +
    `of two more forward passes, along a random rank-1 direction E = u vᵀ (seed ${check.seed}); a relative error under ${formatError(CHECK_THRESHOLD)} passes. ` +
    `Relative error by layer: ${byLayer}.`;
  return { passed: failing.length === 0, worst, failing, text, explanation };
}

/** A vector's contributing positions, the largest first: a zero term (a position no gradient reaches) contributes nothing. */
export const contributingPositions = (v: NeuronVector): PositionWeight[] => v.positions.filter((p) => p.weight !== 0);

/** A weight's own name within its layer: c_fc, gate_proj, down_proj… */
export const weightShortName = (weight: string): string => weight.split('.').at(-2) ?? weight;
