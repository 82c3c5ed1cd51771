/**
 * Synthetic results for unit tests: hand-built `BackwardLensResult` objects shaped like the
 * engine's output (two layers, a handful of tokens), not produced by any model. They are
 * backward-lens/1 files, so every test that reads one also shows that such files still open.
 */
import type { BackwardLensResult, LensRow, ScoredToken } from '../../src/result/schema';

const tok = (id: number, text: string, prob: number): ScoredToken => ({ id, text, prob });

function lensRow(n: number, scale: number, bottomFirst: ScoredToken, rank: (i: number) => number): LensRow {
  return {
    norms: Array.from({ length: n }, (_, i) => scale * (i + 1)),
    top: Array.from({ length: n }, () => [tok(10, ' the', 0.5), tok(11, '<b>', 0.2)]),
    bottom: Array.from({ length: n }, () => [bottomFirst, tok(13, 'a|b', 1e-6)]),
    targetRank: Array.from({ length: n }, (_, i) => rank(i)),
  };
}

export function fixtureResult(overrides: Partial<BackwardLensResult> = {}): BackwardLensResult {
  const tokens = [
    { id: 1, text: '<s>' },
    { id: 20, text: ' Once' },
    { id: 21, text: ' upon' },
    { id: 22, text: ' a' },
  ];
  const n = tokens.length;
  return {
    schema: 'backward-lens/1',
    createdAt: '2026-03-04T10:00:00.000Z',
    model: { name: 'fixture', architecture: 'llama', layers: 2, hiddenSize: 8, vocabSize: 512, source: '/models/fixture', sha256: 'ab'.repeat(32) },
    executionProvider: 'cpu',
    lossMode: 'paper',
    lens: { topK: 2, normalized: false },
    prompt: 'Once upon a',
    target: ' time',
    tokens,
    targetIds: [30],
    targetTokens: [{ id: 30, text: ' time' }],
    rankIds: [30, 30, 30, 30],
    lossWeights: [0, 0, 0, 1],
    loss: 2.5,
    prediction: [tok(30, ' time', 0.8), tok(31, ' day', 0.1)],
    layers: [0, 1].map((layer) => ({
      layer,
      ff1: lensRow(n, 1, tok(12, ' x', 1e-5), (i) => 100 - i - layer),
      ff2: lensRow(n, 0.1 * (layer + 1), tok(30, ' time', 1e-7), (i) => (i === n - 1 ? 511 : 50 + layer)),
      gradNorm: { ff1: 3 + layer, ff2: 0.5 },
      gradRank: { ff1: layer === 1 ? 1 : n, ff2: layer === 1 ? 1 : n },
    })),
    timings: { compileMs: 12.3, runMs: 4.5 },
    ...overrides,
  };
}

/**
 * The fixture as a backward-lens/2 file: a neuron view (neuron 5, one key and a value, in both
 * lists of both layers) and a gradient check whose relative errors are `errors[layer]` in FF1.
 */
export function fixtureResultV2(errors: [number, number] = [2e-4, 2e-4]): BackwardLensResult {
  const cell = { norm: 1.5, top: [tok(10, ' the', 0.5)], bottom: [tok(13, 'a|b', 1e-6)], targetRank: 7 };
  const vector = (weight: string) => ({ weight, gradNorm: 0.25, before: cell, after: { ...cell, top: [tok(30, ' time', 0.4)], targetRank: 0 }, positions: [{ position: 3, weight: -0.2 }] });
  const neuron = (layer: number) => ({ index: 5, keys: [vector(`h.${layer}.mlp.c_fc.weight`)], value: vector(`h.${layer}.mlp.c_proj.weight`) });
  const directional = (relativeError: number) => ({ fromFactors: 0.5, finiteDifference: 0.5001, relativeError, epsilon: 0.01 });
  return {
    ...fixtureResult(),
    schema: 'backward-lens/2',
    neurons: { count: 1, eta: 1, layers: [0, 1].map((layer) => ({ layer, ff1: [neuron(layer)], ff2: [neuron(layer)] })) },
    check: { seed: 1, layers: [0, 1].map((layer) => ({ layer, ff1: directional(errors[layer]), ff2: directional(2e-4) })) },
  };
}
