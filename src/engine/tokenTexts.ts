import type { ScoredToken } from '../result/schema';
import type { Tokenizer } from '../tokenizer/tokenizer';

/**
 * Token texts, each decoded once per engine: a result names up to 2k tokens per cell, and the
 * tokenizers' decoding (≈7 µs a call for GPT-2's) made building a T = 256 result take 0.4 s.
 */
export class TokenTexts {
  private readonly texts = new Map<number, string>();

  constructor(private readonly tokenizer: Tokenizer) {}

  text(id: number): string {
    let text = this.texts.get(id);
    if (text === undefined) {
      text = this.tokenizer.tokenText(id);
      this.texts.set(id, text);
    }
    return text;
  }

  /** `count` tokens from `from` on, with their probabilities from log-probabilities. */
  scored(ids: ArrayLike<bigint>, logProbs: ArrayLike<number>, from = 0, count = ids.length): ScoredToken[] {
    return Array.from({ length: count }, (_, j) => {
      const id = Number(ids[from + j]);
      return { id, text: this.text(id), prob: Math.exp(logProbs[from + j]) };
    });
  }
}
