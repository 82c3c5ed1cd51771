/** The next-token distribution from the logits at one position, read out in float64: top-k, and the target's probability and rank. */
import type { NextTokenReadout } from './api';
import type { Floats } from './gradientPass';
import type { TokenTexts } from './tokenTexts';

export function readNextToken(logits: Floats, targetId: number, topK: number, tokens: TokenTexts): NextTokenReadout {
  const logSumExp = logSumExpOf(logits);
  const target = logits[targetId];
  let higher = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i] > target) higher++;
  return {
    targetProb: Math.exp(target - logSumExp),
    targetRank: higher,
    top: largest(logits, topK).map((id) => ({ id, text: tokens.text(id), prob: Math.exp(logits[id] - logSumExp) })),
  };
}

function logSumExpOf(logits: Floats): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Indices of the k largest values, largest first (ties: the lower index first). */
function largest(values: Floats, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length === k && values[i] <= values[best[k - 1]]) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]] < values[i]) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
