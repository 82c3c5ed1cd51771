/**
 * sha256 of a model's weight files, remembered in the cache folder by (path, size, mtime) so a
 * multi-gigabyte checkpoint is hashed once, not at every start.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function weightsSha256(files: string[], cacheDir: string): Promise<string> {
  const identity = files.map((file) => {
    const stat = fs.statSync(file);
    return `${path.resolve(file)}:${stat.size}:${stat.mtimeMs}`;
  });
  const record = path.join(cacheDir, 'hashes', createHash('sha256').update(identity.join('\n')).digest('hex'));
  try {
    return fs.readFileSync(record, 'utf8').trim();
  } catch {
    const digest = await hashFiles(files);
    fs.mkdirSync(path.dirname(record), { recursive: true });
    const temporary = `${record}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, digest);
    fs.renameSync(temporary, record);
    return digest;
  }
}

async function hashFiles(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
