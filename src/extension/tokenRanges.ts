/**
 * Maps input positions back to character ranges of the analysed text. The engine reports
 * token strings, not offsets, so this walks the text with a cursor and matches each token's
 * decoded string: exact match first, then without the leading space sentencepiece adds to
 * the first word, then a short skip over whitespace the tokenizer folded away. Special
 * tokens (BOS) and partial UTF-8 byte pieces get no range.
 */
import type { TokenInfo } from '../result/schema';

export interface TextRange {
  start: number;
  end: number;
}

const LOOKAHEAD = 8;

export function tokenRanges(text: string, tokens: readonly TokenInfo[]): (TextRange | undefined)[] {
  let cursor = 0;
  return tokens.map((token) => {
    const candidates = [token.text, token.text.replace(/^ +/, '')].filter((c, i, all) => c && all.indexOf(c) === i);
    for (const candidate of candidates) {
      const at = text.indexOf(candidate, cursor);
      if (at >= 0 && at - cursor <= LOOKAHEAD && /^\s*$/.test(text.slice(cursor, at))) {
        cursor = at + candidate.length;
        return { start: at, end: cursor };
      }
    }
    return undefined;
  });
}
