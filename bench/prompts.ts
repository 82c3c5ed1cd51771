/** Prompts of an exact token count for a given tokenizer (BOS included when the model adds one). */
import type { Tokenizer } from '../src/tokenizer/tokenizer';

const WORDS = [
  'The', ' cat', ' sat', ' on', ' the', ' mat', ' and', ' the', ' dog', ' ran', ' to', ' the', ' park', ' with', ' a', ' big',
  ' red', ' ball', '.', ' Then', ' they', ' went', ' home', ' to', ' see', ' their', ' mom', ',', ' who', ' was', ' very', ' happy',
];

/** Grows a text word by word until the model's input is exactly `tokens` long. */
export function promptOfLength(tokenizer: Tokenizer, tokens: number): string {
  const bos = tokenizer.bosId === undefined ? 0 : 1;
  const count = (text: string) => bos + tokenizer.encode(text).length;
  let text = '';
  let i = 0;
  for (let guard = 0; count(text) < tokens && guard < 100 * tokens; guard++) {
    const candidate = text + WORDS[i++ % WORDS.length];
    if (count(candidate) <= tokens) text = candidate;
    else {
      // The next word would overshoot: pad with single characters, which are single tokens in both vocabularies.
      const padded = text + ' a';
      if (count(padded) <= tokens) text = padded;
      else if (count(text + 'a') <= tokens) text += 'a';
      else break;
    }
  }
  if (count(text) !== tokens) throw new Error(`could not build a prompt of exactly ${tokens} tokens (got ${count(text)})`);
  return text;
}
