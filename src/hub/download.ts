/**
 * Downloads what a model needs from the hub into the shared cache, and only that: config.json
 * first (an architecture Backward Lens cannot run is refused before any weight is requested),
 * then the safetensors index when the weights are sharded, then the tokenizer files and the
 * weights. Every file is verified before it is linked into the snapshot (fetchBlob).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../files/modelLoadError';
import { readHuggingFaceConfig } from '../model/huggingfaceConfig';
import { SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE, shardNamesOf } from '../model/safetensors';
import { blobFile, inSnapshot, linkIntoSnapshot, repoFolder, snapshotFolder, writeRef } from './cacheLayout';
import { fetchBlob } from './fetchBlob';
import { DownloadCancelled, HubError } from './hubError';
import { hubFailure, statusFailure } from './hubFailures';
import { formatHubId, type HubId } from './hubId';
import type { HubOptions } from './hubOptions';
import { CONFIG_FILE, OPTIONAL_FILES, TOKENIZER_FILE } from './modelFiles';
import { listRepo, type RemoteFile, type RepoListing } from './repoListing';

export interface DownloadProgress {
  /** The file arriving now. */
  file: string;
  /** Bytes of this download on disk so far, parts resumed from an earlier one included. */
  done: number;
  total: number;
}

export interface DownloadControl {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

/** Fetches the files `id` needs that the cache lacks; resolves to the snapshot folder holding them all. */
export async function downloadModel(id: HubId, hub: HubOptions, control: DownloadControl = {}): Promise<string> {
  const listing = await listRepo(id, hub, control.signal);
  const weights = weightsFile(listing, id, hub);
  const repo = repoFolder(hub.cacheDir, id);
  writeRef(repo, id.revision, listing.commit);
  const fetcher = new SnapshotFetcher(id, hub, listing, repo, control);
  await fetcher.fetch([CONFIG_FILE]);
  refuseUnsupported(fetcher.snapshot, id);
  const files = [TOKENIZER_FILE, ...OPTIONAL_FILES.filter((name) => listing.files.has(name))];
  if (weights === SAFETENSORS_INDEX_FILE) {
    await fetcher.fetch([SAFETENSORS_INDEX_FILE]);
    files.push(...shardsOf(fetcher.snapshot, listing, id));
  } else {
    files.push(SAFETENSORS_FILE);
  }
  await fetcher.fetch(files, control.onProgress);
  return fetcher.snapshot;
}

/** The repo's weights file, checked with the other files it must hold before anything is fetched. */
function weightsFile(listing: RepoListing, id: HubId, hub: HubOptions): string {
  const lacks = (what: string) => new HubError(`${formatHubId(id)} on ${hub.endpoint} has no ${what}, which Backward Lens needs; choose a transformers model that has one.`);
  if (!listing.files.has(CONFIG_FILE)) throw lacks(`${CONFIG_FILE} (it is not a transformers model)`);
  if (!listing.files.has(TOKENIZER_FILE)) throw lacks(`${TOKENIZER_FILE} (a fast tokenizer)`);
  if (listing.files.has(SAFETENSORS_FILE)) return SAFETENSORS_FILE;
  if (listing.files.has(SAFETENSORS_INDEX_FILE)) return SAFETENSORS_INDEX_FILE;
  throw lacks(`safetensors weights (${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE}; PyTorch .bin weights are not read)`);
}

function refuseUnsupported(snapshot: string, id: HubId): void {
  try {
    readHuggingFaceConfig(snapshot);
  } catch (error) {
    if (!(error instanceof ModelLoadError)) throw error;
    throw new HubError(`${formatHubId(id)} cannot be analysed, so its weights were not downloaded: ${error.message}`);
  }
}

/** The shards the downloaded index names, each a file of the listing. */
function shardsOf(snapshot: string, listing: RepoListing, id: HubId): string[] {
  const shards = shardNamesOf(path.join(snapshot, SAFETENSORS_INDEX_FILE));
  const unknown = shards.filter((name) => !listing.files.has(name));
  if (unknown.length > 0) throw new HubError(`${formatHubId(id)}'s ${SAFETENSORS_INDEX_FILE} names shards the repo does not hold (${unknown.join(', ')}); the repo is broken, tell its owners.`);
  return shards;
}

/** Fetches files of one listing into its snapshot, reporting bytes across each batch. */
class SnapshotFetcher {
  readonly snapshot: string;

  constructor(
    private readonly id: HubId,
    private readonly hub: HubOptions,
    private readonly listing: RepoListing,
    private readonly repo: string,
    private readonly control: DownloadControl,
  ) {
    this.snapshot = snapshotFolder(repo, listing.commit);
  }

  async fetch(names: string[], onProgress?: (progress: DownloadProgress) => void): Promise<void> {
    const wanted = names.filter((name) => !inSnapshot(this.snapshot, name)).map((name) => this.listing.files.get(name)!);
    const missing = wanted.filter((file) => !fs.existsSync(this.blob(file)));
    const total = missing.reduce((sum, file) => sum + file.size, 0);
    this.checkFreeSpace(missing);
    let finished = 0;
    for (const file of wanted) {
      if (missing.includes(file)) {
        await this.fetchBlob(file, (bytes) => onProgress?.({ file: file.name, done: finished + bytes, total }));
        finished += file.size;
      }
      linkIntoSnapshot(this.snapshot, file.name, this.blob(file));
    }
  }

  private blob(file: RemoteFile): string {
    return blobFile(this.repo, file.etag);
  }

  private async fetchBlob(file: RemoteFile, onBytes: (bytes: number) => void): Promise<void> {
    const { signal } = this.control;
    fs.mkdirSync(path.dirname(this.blob(file)), { recursive: true });
    try {
      await fetchBlob({
        url: `${this.hub.endpoint}/${this.id.repo}/resolve/${this.listing.commit}/${encodeURIComponent(file.name)}`,
        token: this.hub.token,
        file,
        blob: this.blob(file),
        signal,
        onBytes,
        statusError: (status) => statusFailure(status, this.id, this.hub, file.name),
      });
    } catch (error) {
      if (signal?.aborted) throw new DownloadCancelled(formatHubId(this.id));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw this.diskFull(file.size);
      throw hubFailure(error, this.id, this.hub, signal);
    }
  }

  /** Refuses a download that cannot fit, before it starts (parts already on disk count as fetched). */
  private checkFreeSpace(missing: RemoteFile[]): void {
    const needed = missing.reduce((sum, file) => sum + file.size - partialSize(this.blob(file)), 0);
    const blobs = path.join(this.repo, 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    const { bavail, bsize } = fs.statfsSync(blobs);
    if (needed > bavail * bsize) throw this.diskFull(needed, bavail * bsize);
  }

  private diskFull(needed: number, free?: number): HubError {
    const room = free === undefined ? 'the disk is full' : `only ${megabytes(free)} is free`;
    return new HubError(
      `${formatHubId(this.id)} needs ${megabytes(needed)} more in ${this.hub.cacheDir}, but ${room} (ENOSPC); free some space, or set HF_HUB_CACHE to a folder on a larger disk. What arrived is kept, and the next download resumes it.`,
    );
  }
}

function partialSize(blob: string): number {
  try {
    return fs.statSync(`${blob}.incomplete`).size;
  } catch {
    return 0;
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
