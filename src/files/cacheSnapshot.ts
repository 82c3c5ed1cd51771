/**
 * Folders of the Hugging Face cache, as huggingface_hub lays them out:
 * `<cache>/models--ORG--NAME/snapshots/<commit>/`, whose files link into `../../blobs/`.
 */
import * as path from 'node:path';

export interface CacheSnapshot {
  /** `<cache>/models--ORG--NAME`: the snapshot's files may resolve anywhere inside it. */
  repoFolder: string;
  /** ORG/NAME (or a legacy NAME without an organisation, such as gpt2). */
  repoId: string;
  commit: string;
}

const SNAPSHOT = /^(.*[\\/]models--([^\\/]+))[\\/]snapshots[\\/]([^\\/]+)[\\/]?$/;

/** The cache repo a snapshot folder belongs to; undefined for any other folder. */
export function cacheSnapshotOf(folder: string): CacheSnapshot | undefined {
  const match = SNAPSHOT.exec(path.resolve(folder));
  return match ? { repoFolder: match[1], repoId: match[2].split('--').join('/'), commit: match[3] } : undefined;
}
