/**
 * Downloads one file of a repo into its cache blob, the small HTTP part written here rather
 * than taken from @huggingface/hub: its downloadFileToCacheDir restarts every download from
 * byte 0 (no Range on the `.incomplete` file), never checks the bytes against their hash,
 * reports no progress and takes no AbortSignal. Here:
 * - the bytes go to `blobs/<etag>.incomplete`; an interrupted transfer resumes from its end
 *   with an HTTP Range request, within this call (a dropped connection) or the next one;
 * - the bytes are hashed as they arrive (sha256 for LFS files, git's blob sha1 otherwise) and
 *   the blob is renamed into place only when hash and size match what the hub lists;
 * - the hub's redirect for LFS files is followed by hand, to read its X-Linked-Etag and to send
 *   the token only to the hub itself, never to the CDN it redirects to.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { HubError } from './hubError';
import { networkCode } from './hubFailures';
import type { RemoteFile } from './repoListing';

export interface BlobRequest {
  /** The file's `resolve` URL on the hub, at a commit. */
  url: string;
  token?: string;
  file: RemoteFile;
  /** Where the verified bytes go (`blobs/<etag>`). */
  blob: string;
  signal?: AbortSignal;
  /** How many bytes of the file are on disk now (a resumed prefix counts from the start). */
  onBytes?: (bytesOnDisk: number) => void;
  /** The error for an HTTP status other than success or redirect. */
  statusError: (status: number) => Error;
}

/** The body ended before the file did: retried like a dropped connection. */
class TransferCut extends Error {}

/** Transfers cut short this many times in a row are given up (huggingface_hub retries 5 times too). */
const ATTEMPTS = 5;
const REDIRECTS = 10;

export async function fetchBlob(request: BlobRequest): Promise<void> {
  const partial = `${request.blob}.incomplete`;
  const progress = new HashedFile(request.file, partial);
  for (let attempt = 1; ; attempt++) {
    try {
      await transfer(request, progress);
      break;
    } catch (error) {
      const retriable = error instanceof TransferCut || networkCode(error) !== undefined;
      if (request.signal?.aborted || !retriable || attempt === ATTEMPTS) throw error;
    }
  }
  progress.verify();
  fs.renameSync(partial, request.blob);
}

/** One request for the bytes not yet on disk, appended as they arrive. */
async function transfer(request: BlobRequest, target: HashedFile): Promise<void> {
  const start = target.resumeFrom();
  if (start === request.file.size) {
    // Complete on disk but never renamed (the process ended in between): only the hash is left to check.
    await target.restartAt(start);
    request.onBytes?.(start);
    return;
  }
  const response = await open(request, start);
  const offset = response.status === 206 ? start : 0;
  await target.restartAt(offset);
  request.onBytes?.(offset);
  const handle = await fs.promises.open(target.file, offset === 0 ? 'w' : 'a');
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      request.onBytes?.(target.add(chunk));
    }
  } finally {
    await handle.close();
  }
  if (target.bytes < request.file.size) throw new TransferCut(`the transfer of ${request.file.name} ended early`);
}

/** GET with a Range from `start`, following redirects by hand (see the file comment). */
async function open(request: BlobRequest, start: number): Promise<Response> {
  let url = new URL(request.url);
  let token = request.token;
  for (let hop = 0; hop <= REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (start > 0) headers.Range = `bytes=${start}-`;
    const response = await fetch(url, { headers, redirect: 'manual', signal: request.signal });
    if (hop === 0) checkEtag(response, request.file);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin) token = undefined;
      url = next;
      continue;
    }
    if (response.status === 416) {
      // The partial file is no prefix of this file: start over.
      await response.body?.cancel();
      fs.rmSync(`${request.blob}.incomplete`, { force: true });
      return open(request, 0);
    }
    if (!response.ok || !response.body) throw request.statusError(response.status);
    return response;
  }
  throw new HubError(`${request.url} redirected more than ${REDIRECTS} times; check HF_ENDPOINT.`);
}

/** The hub's ETag for the file (X-Linked-Etag on an LFS redirect) must name the bytes its listing names. */
function checkEtag(response: Response, file: RemoteFile): void {
  const header = response.headers.get('x-linked-etag') ?? response.headers.get('etag');
  const etag = header?.replace(/^W\//, '').replace(/"/g, '');
  if (etag && response.status < 400 && etag !== file.etag) {
    throw new HubError(`The hub's ETag for ${file.name} (${etag}) is not the hash its file list gives (${file.etag}); the repo may have changed meanwhile, so run again.`);
  }
}

/** The partial file and the running hash of the bytes in it. */
class HashedFile {
  private hash: Hash | undefined;
  bytes = 0;

  constructor(
    private readonly remote: RemoteFile,
    readonly file: string,
  ) {}

  /** Where the next request starts: after what is on disk, unless that is more than the file holds. */
  resumeFrom(): number {
    const size = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    return size <= this.remote.size ? size : 0;
  }

  /** Hashes what is already on disk (the first bytes of a resumed download) when the running hash does not cover it. */
  async restartAt(offset: number): Promise<void> {
    if (this.hash && this.bytes === offset) return;
    this.hash = isSha256(this.remote.etag) ? createHash('sha256') : createHash('sha1').update(`blob ${this.remote.size}\0`);
    this.bytes = 0;
    if (offset === 0) return;
    for await (const chunk of fs.createReadStream(this.file, { end: offset - 1 })) this.add(chunk as Buffer);
  }

  add(chunk: Uint8Array): number {
    this.hash!.update(chunk);
    this.bytes += chunk.length;
    return this.bytes;
  }

  /** Renaming is left to the caller; a file that is not what the hub lists is deleted here. */
  verify(): void {
    const digest = this.hash?.digest('hex') ?? '';
    if (this.bytes === this.remote.size && digest === this.remote.etag) return;
    fs.rmSync(this.file, { force: true });
    const kind = isSha256(this.remote.etag) ? 'sha256' : 'git sha1';
    throw new HubError(
      `${this.remote.name} arrived corrupt (${this.bytes} bytes with ${kind} ${digest}, but the hub lists ${this.remote.size} bytes with ${this.remote.etag}); it was deleted, run again to download it anew.`,
    );
  }
}

const isSha256 = (etag: string): boolean => /^[0-9a-f]{64}$/.test(etag);
