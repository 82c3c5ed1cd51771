/** What the engine needs from a tokenizer, whatever file format it came from. */
export interface Tokenizer {
  readonly vocabSize: number;
  /** Id prepended to every prompt, when the model was trained with one (llama2.c, Llama); GPT-2 has none. */
  readonly bosId: number | undefined;
  /** Characters of the longest vocabulary piece: no token covers more of a text, which bounds a text's length before it is tokenized. */
  readonly longestPiece: number;
  /** Token ids of `text` without any special token added. */
  encode(text: string): number[];
  /** The text one token stands for, as a reader should see it (byte pieces decoded where possible). */
  tokenText(id: number): string;
  /** Text of a sequence of ids (byte-fallback pieces joined into UTF-8). */
  decode(ids: number[]): string;
}
