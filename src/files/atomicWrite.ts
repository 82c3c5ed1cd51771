/**
 * File writes that never leave a half-written result behind and never clobber an existing
 * one: the bytes go to a temporary file in the target folder (same file system, so the final
 * step is atomic), then are hard-linked to their name, which fails if the name is taken.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

async function writeTemp(dir: string, data: string | Uint8Array): Promise<string> {
  const temp = path.join(dir, `.blens-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Replaces `file` atomically (readers see the old or the new content, never a mix). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = await writeTemp(path.dirname(file), data);
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/**
 * Writes `data` under a new name: `file` itself when free. Returns false, writing nothing,
 * when the name is taken. Falls back to check-then-rename where hard links are unsupported
 * (some network and FAT file systems).
 */
export async function writeNewFileAtomic(file: string, data: string | Uint8Array): Promise<boolean> {
  const temp = await writeTemp(path.dirname(file), data);
  try {
    await fs.link(temp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    if (await exists(file)) return false;
    await fs.rename(temp, file);
    return true;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
