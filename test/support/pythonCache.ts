/**
 * Writes a Hugging Face cache entry by hand, the way Python's huggingface_hub lays it out, to
 * check that models it downloaded are found: blobs named by sha256 (LFS files) or git blob
 * sha1, `snapshots/<commit>/` of relative links to `../../blobs/`, and `refs/main`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { etagOf } from './hubHashes';

export function writePythonCache(cacheDir: string, repo: string, modelFolder: string, commit: string): string {
  const repoFolder = path.join(cacheDir, `models--${repo.replace('/', '--')}`);
  const snapshot = path.join(repoFolder, 'snapshots', commit);
  fs.mkdirSync(path.join(repoFolder, 'blobs'), { recursive: true });
  fs.mkdirSync(snapshot, { recursive: true });
  fs.mkdirSync(path.join(repoFolder, 'refs'), { recursive: true });
  fs.writeFileSync(path.join(repoFolder, 'refs', 'main'), commit);
  for (const name of fs.readdirSync(modelFolder)) {
    const data = fs.readFileSync(path.join(modelFolder, name));
    const etag = etagOf(name, data);
    fs.writeFileSync(path.join(repoFolder, 'blobs', etag), data);
    fs.symlinkSync(path.join('..', '..', 'blobs', etag), path.join(snapshot, name));
  }
  return snapshot;
}
