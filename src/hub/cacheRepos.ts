/** The model repos a Hugging Face cache holds, read from its folder names alone (nothing inside is opened). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHubId } from './hubId';

export interface CacheRepoFolder {
  /** ORG/NAME. */
  repo: string;
  /** `<cache>/models--ORG--NAME`. */
  folder: string;
}

/**
 * Every `models--ORG--NAME` folder with a snapshots/ folder, by id. Legacy ids without an
 * organisation (`models--gpt2`) are left out: they cannot be named as ORG/NAME.
 */
export function cacheRepos(cacheDir: string): CacheRepoFolder[] {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith('models--'))
    .map((name) => ({ repo: name.slice('models--'.length).split('--').join('/'), folder: path.join(cacheDir, name) }))
    .filter(({ repo, folder }) => parseHubId(repo) !== undefined && fs.existsSync(path.join(folder, 'snapshots')))
    .sort((a, b) => a.repo.localeCompare(b.repo));
}
