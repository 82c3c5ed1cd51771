/**
 * Checks a tokenizer.json's vocabulary before @huggingface/tokenizers builds from it: that
 * library indexes tokens by id, so an id of 2³¹ makes it walk a sparse array for minutes, and a
 * duplicated or missing id surfaces only later, as a token the lens cannot name.
 */
import { ModelLoadError } from '../files/modelLoadError';

/** Model types whose `vocab` maps each token to its id; Unigram's is a list of [piece, score]. */
const MAPPED_VOCABULARIES = ['BPE', 'WordPiece', 'WordLevel'];

/**
 * The largest id the vocabulary and its added tokens use. Every id must be a whole number below
 * `modelRows`, the rows of the model's unembedding (config.json's vocab_size), when it is known.
 */
export function checkVocabulary(json: Record<string, unknown>, file: string, modelRows = Infinity): number {
  const fail = (what: string): never => {
    throw new ModelLoadError(`The tokenizer ${file} ${what}; use the tokenizer.json that belongs to these weights (re-download it from the model's repository).`);
  };
  const model = json.model as { type?: unknown; vocab?: unknown } | undefined;
  if (typeof model !== 'object' || model === null) return fail('has no "model" object');
  const type = model.type ?? (Array.isArray(model.vocab) ? 'Unigram' : 'BPE');
  const limit = Number.isFinite(modelRows) ? `below ${modelRows}, the model's vocab_size` : 'from 0';
  const idOk = (id: unknown): id is number => Number.isInteger(id) && (id as number) >= 0 && (id as number) < modelRows;
  let largest = -1;
  if (MAPPED_VOCABULARIES.includes(String(type))) {
    const vocab = model.vocab;
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) return fail(`has a ${type} model whose "vocab" is not an object of token → id`);
    const owner = new Map<number, string>();
    for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!idOk(id)) return fail(`gives token ${JSON.stringify(token)} the id ${JSON.stringify(id)}, but ids are whole numbers ${limit}`);
      const other = owner.get(id);
      if (other !== undefined) fail(`gives tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} the same id ${id}`);
      owner.set(id, token);
      largest = Math.max(largest, id);
    }
  } else if (type === 'Unigram') {
    const vocab = model.vocab;
    if (!Array.isArray(vocab) || vocab.some((entry) => !Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')) {
      return fail('has a Unigram model whose "vocab" is not a list of [piece, score] pairs');
    }
    if (vocab.length > modelRows) fail(`has ${vocab.length} Unigram pieces, more than the model's vocab_size of ${modelRows}`);
    largest = vocab.length - 1;
  } else {
    fail(`has a "${String(type)}" model, which is not supported (BPE, WordPiece, WordLevel or Unigram)`);
  }
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) return fail('has "added_tokens" that is not a list');
  for (const token of added as { id?: unknown; content?: unknown }[]) {
    if (typeof token?.content !== 'string') return fail('has an added token without its "content" text');
    if (!idOk(token.id)) return fail(`gives the added token ${JSON.stringify(token.content)} the id ${JSON.stringify(token.id)}, but ids are whole numbers ${limit}`);
    largest = Math.max(largest, token.id);
  }
  if (largest < 0) fail('has an empty vocabulary');
  return largest;
}
