/**
 * The one way a model named by a user (the CLI's --model, the extension's modelPath setting)
 * becomes a folder to load: an existing path is itself; otherwise ORG/NAME[@REVISION] is a
 * Hugging Face model, taken from the shared cache when it holds every file needed (no request),
 * else downloaded into it, unless offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SAFETENSORS_INDEX_FILE } from '../model/safetensors';
import { cachedCommit, repoFolder, snapshotFolder } from './cacheLayout';
import { downloadModel, type DownloadControl } from './download';
import { offlineFailure } from './hubFailures';
import { parseHubId, type HubId } from './hubId';
import type { HubOptions } from './hubOptions';
import { missingModelFiles } from './modelFiles';

/** The hub model `reference` names: none when it is an existing path or not an id. */
export function hubIdOf(reference: string): HubId | undefined {
  return fs.existsSync(reference) ? undefined : parseHubId(reference);
}

/** The path to load for `reference`, downloading a hub model's missing files first. */
export async function resolveModel(reference: string, hub: HubOptions, control: DownloadControl = {}): Promise<string> {
  const id = hubIdOf(reference);
  if (!id) return path.resolve(reference);
  const cached = cachedSnapshot(id, hub.cacheDir);
  if (cached.folder && cached.missing.length === 0) return cached.folder;
  if (hub.offline) {
    throw offlineFailure(id, hub, cached.folder ? `is only partly in the cache (its snapshot lacks ${cached.missing.join(', ')})` : `is not in the cache ${hub.cacheDir}`);
  }
  return downloadModel(id, hub, control);
}

/** The folder `reference` names when that needs no download: an existing path, or a hub id whose snapshot is complete. */
export function resolvedWithoutDownload(reference: string, cacheDir: string): string | undefined {
  const id = hubIdOf(reference);
  if (!id) return path.resolve(reference);
  const cached = cachedSnapshot(id, cacheDir);
  return cached.missing.length === 0 ? cached.folder : undefined;
}

/** The snapshot the cache holds for `id`'s revision, and what it lacks. */
function cachedSnapshot(id: HubId, cacheDir: string): { folder?: string; missing: string[] } {
  const repo = repoFolder(cacheDir, id);
  const commit = cachedCommit(repo, id.revision);
  const folder = commit && snapshotFolder(repo, commit);
  if (!folder || !fs.existsSync(folder)) return { missing: ['everything'] };
  try {
    return { folder, missing: missingModelFiles(folder) };
  } catch {
    // An unreadable index: the snapshot is incomplete, and loading it will say why.
    return { folder, missing: [SAFETENSORS_INDEX_FILE] };
  }
}
