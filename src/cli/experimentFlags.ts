/** `analyze`'s flags for the paper's experiments, --neurons N [--eta E] and --check, and what they add to the request. */
import type { AnalysisRequest } from '../engine/api';

export const EXPERIMENT_OPTIONS = {
  neurons: { type: 'string' },
  eta: { type: 'string' },
  check: { type: 'boolean', default: false },
} as const;

export const EXPERIMENT_USAGE = '[--neurons N [--eta 1]] [--check]';

interface ExperimentValues {
  neurons?: string;
  eta?: string;
  check?: boolean;
}

/** Why the flags are wrong, or undefined; the engine checks N against the model's width. */
export function experimentProblem(values: ExperimentValues): string | undefined {
  if (values.neurons !== undefined && !/^[1-9]\d*$/.test(values.neurons)) return `--neurons must be a whole number from 1, not "${values.neurons}"`;
  if (values.eta === undefined) return undefined;
  if (values.neurons === undefined) return '--eta goes with --neurons (the step of the neuron view\'s "after")';
  const eta = Number(values.eta);
  return values.eta.trim() !== '' && Number.isFinite(eta) && eta > 0 ? undefined : `--eta must be a positive number, not "${values.eta}"`;
}

export function experimentRequest(values: ExperimentValues): Pick<AnalysisRequest, 'neurons' | 'eta' | 'check'> {
  return {
    ...(values.neurons !== undefined ? { neurons: Number(values.neurons) } : {}),
    ...(values.eta !== undefined ? { eta: Number(values.eta) } : {}),
    ...(values.check ? { check: true } : {}),
  };
}
