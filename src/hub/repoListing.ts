/**
 * What a revision of a model repo holds, asked through @huggingface/hub's API calls (model
 * info for the commit the revision points at, then the file tree of that commit), so every
 * file comes from the same commit, with its size and the hash its bytes must have.
 */
import { listFiles, modelInfo } from '@huggingface/hub';
import { HubError } from './hubError';
import { formatHubId, isCommitHash, type HubId } from './hubId';
import { hubFailure } from './hubFailures';
import type { HubOptions } from './hubOptions';

export interface RemoteFile {
  name: string;
  size: number;
  /** The blob's name in the cache and the hash its bytes must have: sha256 for LFS files, the git blob sha1 otherwise. */
  etag: string;
}

export interface RepoListing {
  commit: string;
  /** The files at the repo's top level (where a transformers model keeps its files), by name. */
  files: Map<string, RemoteFile>;
}

export async function listRepo(id: HubId, hub: HubOptions, signal?: AbortSignal): Promise<RepoListing> {
  const access = {
    hubUrl: hub.endpoint,
    accessToken: hub.token,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, signal }),
  };
  try {
    const { sha } = await modelInfo({ name: id.repo, revision: id.revision, additionalFields: ['sha'], ...access });
    if (!isCommitHash(sha)) throw new HubError(`${hub.endpoint} named no commit for ${formatHubId(id)} (got ${JSON.stringify(sha)}); check HF_ENDPOINT.`);
    const files = new Map<string, RemoteFile>();
    for await (const entry of listFiles({ repo: { type: 'model', name: id.repo }, revision: sha, ...access })) {
      if (entry.type === 'file') files.set(entry.path, { name: entry.path, size: entry.lfs?.size ?? entry.size, etag: entry.lfs?.oid ?? entry.oid ?? '' });
    }
    return { commit: sha, files };
  } catch (error) {
    throw hubFailure(error, id, hub, signal);
  }
}
