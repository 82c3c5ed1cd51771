/**
 * Hugging Face `tokenizer.json` tokenizers (GPT-2, Llama, Mistral, Qwen2, SmolLM, ...) through
 * `@huggingface/tokenizers`, adapted to our Tokenizer interface.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, readJsonFile } from '../files/read';
import type { Tokenizer } from './tokenizer';
import { checkVocabulary } from './vocabularyCheck';

// The package is an ES module that also ships a CommonJS build; `require` picks that build through its "exports" map.
const { Tokenizer: HfTokenizerClass } = require('@huggingface/tokenizers') as { Tokenizer: typeof HfTokenizer };

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const SENTENCEPIECE_SPACE = '\u2581';
const DECODE_AS_IS = { skip_special_tokens: false, clean_up_tokenization_spaces: false };

export interface BosDefaults {
  /** Whether the architecture's tokenizer adds BOS when tokenizer_config.json does not say (Llama, Mistral: yes; GPT-2, Qwen2: no). */
  addsBos: boolean;
  /** `bos_token_id` from config.json, used when the tokenizer config names no BOS token. */
  bosTokenId?: number;
}

export class HuggingFaceTokenizer implements Tokenizer {
  readonly longestPiece: number;

  constructor(
    private readonly hf: HfTokenizer,
    readonly bosId: number | undefined,
    /** Ids go up to the model's vocab_size when known: models pad their unembedding past the tokenizer's last id (Qwen2.5: 151,936 rows, 151,665 tokens). */
    readonly vocabSize: number,
  ) {
    let longest = 1;
    for (const piece of hf.get_vocab(true).keys()) longest = Math.max(longest, piece.length);
    this.longestPiece = longest;
  }

  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * What a reader should see for one token: the decoded text (GPT-2 "ĠParis" shows " Paris"),
   * a sentencepiece word start keeps its space (decoders strip the first one), and a lone byte
   * that is not a whole printable character stays as its `<0xNN>` / raw piece.
   */
  tokenText(id: number): string {
    if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) throw new RangeError(`Token id ${id} is outside the vocabulary of ${this.vocabSize} tokens.`);
    const piece = this.hf.id_to_token(id);
    // A padding row of the unembedding: the lens can rank it, but no text stands for it.
    if (piece === undefined) return `<unused ${id}>`;
    const byte = BYTE_PIECE.exec(piece);
    if (byte) {
      const value = parseInt(byte[1], 16);
      return value >= 0x20 && value < 0x7f ? String.fromCharCode(value) : piece;
    }
    const text = this.hf.decode([id], DECODE_AS_IS);
    if (text.includes('\uFFFD')) return byteLevelPieceAsBytes(piece) ?? piece;
    return piece.startsWith(SENTENCEPIECE_SPACE) && !text.startsWith(' ') ? ' ' + text : text;
  }

  decode(ids: number[]): string {
    return this.hf.decode(ids, DECODE_AS_IS);
  }
}

/** GPT-2's printable stand-ins for the 256 byte values (bytes_to_unicode), mapped back to the bytes. */
const BYTE_OF_BYTE_LEVEL_CHAR = ((): Map<string, number> => {
  const isPrintable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(isPrintable(b) ? b : next++), b);
  return map;
})();

/** A byte-level piece holding part of a UTF-8 character, written as its bytes: "Ã" → "<0xC3>". */
function byteLevelPieceAsBytes(piece: string): string | undefined {
  const bytes = [...piece].map((char) => BYTE_OF_BYTE_LEVEL_CHAR.get(char));
  if (bytes.some((byte) => byte === undefined)) return undefined;
  return bytes.map((byte) => `<0x${byte!.toString(16).toUpperCase().padStart(2, '0')}>`).join('');
}

/**
 * Reads `tokenizer.json` (and `tokenizer_config.json` when present) from a model folder.
 * `modelRows`: the model's vocab_size, when known; ids must stay below it, and the tokenizer
 * then names every row (the size is otherwise the largest id + 1: ids can have gaps).
 */
export function readHuggingFaceTokenizer(folder: string, defaults: BosDefaults, modelRows?: number): HuggingFaceTokenizer {
  const tokenizerFile = path.join(folder, 'tokenizer.json');
  if (!fs.existsSync(tokenizerFile)) {
    throw new ModelLoadError(
      `The model folder ${folder} has no tokenizer.json; download it from the model's Hugging Face repository into that folder.`,
    );
  }
  const tokenizerJson = readJsonFile(fileInside(folder, 'tokenizer.json'));
  const largestId = checkVocabulary(tokenizerJson, tokenizerFile, modelRows);
  const configFile = path.join(folder, 'tokenizer_config.json');
  const tokenizerConfig = fs.existsSync(configFile) ? readJsonFile(fileInside(folder, 'tokenizer_config.json')) : {};
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizerClass(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new ModelLoadError(
      `The tokenizer ${tokenizerFile} could not be loaded (${(error as Error).message}); re-download tokenizer.json from the model's repository.`,
    );
  }
  return new HuggingFaceTokenizer(hf, bosIdOf(hf, tokenizerConfig, defaults), modelRows ?? largestId + 1);
}

function bosIdOf(hf: HfTokenizer, tokenizerConfig: Record<string, unknown>, defaults: BosDefaults): number | undefined {
  const addsBos = typeof tokenizerConfig.add_bos_token === 'boolean' ? tokenizerConfig.add_bos_token : defaults.addsBos;
  if (!addsBos) return undefined;
  const bosToken = tokenizerConfig.bos_token;
  const content = typeof bosToken === 'string' ? bosToken : (bosToken as { content?: unknown } | null | undefined)?.content;
  const named = typeof content === 'string' ? hf.token_to_id(content) : undefined;
  return named ?? defaults.bosTokenId;
}
