/** The names the hub gives file contents: sha256 for LFS files (safetensors here), git's blob sha1 for the rest. */
import { createHash } from 'node:crypto';

export const isLfs = (name: string): boolean => name.endsWith('.safetensors');
export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
export const gitBlobSha1 = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
export const etagOf = (name: string, data: Buffer): string => (isLfs(name) ? sha256(data) : gitBlobSha1(data));
