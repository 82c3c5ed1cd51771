/**
 * The files of a Hugging Face model repo that Backward Lens reads, and whether a folder (a cache
 * snapshot) holds all of them: the cache is used as it is only when nothing the loaders need is
 * missing.
 */
import * as path from 'node:path';
import { SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE, shardNamesOf } from '../model/safetensors';
import { inSnapshot } from './cacheLayout';

export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
/** Fetched when the repo has them: the tokenizer's settings (BOS), and generation defaults for Python users of the same snapshot. */
export const OPTIONAL_FILES = ['tokenizer_config.json', 'generation_config.json'];

/** What `folder` lacks of config, tokenizer and safetensors weights (the shards its index names); [] when it can be loaded. */
export function missingModelFiles(folder: string): string[] {
  const missing = [CONFIG_FILE, TOKENIZER_FILE].filter((name) => !inSnapshot(folder, name));
  if (inSnapshot(folder, SAFETENSORS_INDEX_FILE)) {
    missing.push(...shardNamesOf(path.join(folder, SAFETENSORS_INDEX_FILE)).filter((name) => !inSnapshot(folder, name)));
  } else if (!inSnapshot(folder, SAFETENSORS_FILE)) {
    missing.push(SAFETENSORS_FILE);
  }
  return missing;
}
