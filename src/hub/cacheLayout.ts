/**
 * The Hugging Face cache on disk, laid out exactly as huggingface_hub lays it out, so a model
 * downloaded by either is found by the other:
 *   models--ORG--NAME/refs/<revision>              the commit a branch or tag pointed at
 *   models--ORG--NAME/blobs/<etag>                 file contents, by sha256 (LFS) or git blob sha1
 *   models--ORG--NAME/snapshots/<commit>/<file>    relative links to ../../blobs/<etag>
 * Blobs arrive as `<etag>.incomplete` and are renamed once verified; snapshot links are made
 * under a temporary name and renamed, so a snapshot never holds a half-written file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { isCommitHash, type HubId } from './hubId';

/** `<cache>/models--ORG--NAME`. */
export const repoFolder = (cacheDir: string, id: HubId): string => path.join(cacheDir, getRepoFolderName({ name: id.repo, type: 'model' }));

export const snapshotFolder = (repo: string, commit: string): string => path.join(repo, 'snapshots', commit);

export const blobFile = (repo: string, etag: string): string => path.join(repo, 'blobs', etag);

/** The commit `revision` names without asking the hub: itself when it is one, else what refs/ recorded. */
export function cachedCommit(repo: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  try {
    const commit = fs.readFileSync(path.join(repo, 'refs', revision), 'utf8').trim();
    return isCommitHash(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records that `revision` (a branch or tag) now points at `commit`. */
export function writeRef(repo: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = path.join(repo, 'refs', revision);
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  replaceAtomically(ref, (temporary) => fs.writeFileSync(temporary, commit));
}

/** Makes `snapshot/name` a relative link to `blob`, as huggingface_hub does. */
export function linkIntoSnapshot(snapshot: string, name: string, blob: string): void {
  const pointer = path.join(snapshot, name);
  fs.mkdirSync(path.dirname(pointer), { recursive: true });
  replaceAtomically(pointer, (temporary) => fs.symlinkSync(path.relative(path.dirname(pointer), blob), temporary));
}

/** Whether `snapshot/name` is there and leads to a file (a dangling link counts as absent). */
export function inSnapshot(snapshot: string, name: string): boolean {
  try {
    return fs.statSync(path.join(snapshot, name)).isFile();
  } catch {
    return false;
  }
}

function replaceAtomically(file: string, write: (temporary: string) => void): void {
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    write(temporary);
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
