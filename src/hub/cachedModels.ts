/**
 * The models of the Hugging Face cache that Backward Lens can run, with what a picker shows of
 * each: id, revision, architecture, parameters, dtype and size on disk. Only config.json and the
 * safetensors headers are read, never the weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WeightRef } from '../model/description';
import { inspectHuggingFace } from '../model/huggingface';
import { cacheRepos } from './cacheRepos';
import { formatHubId } from './hubId';
import { missingModelFiles } from './modelFiles';

export interface CachedModel {
  /** What to pass as the model: ORG/NAME, with @REVISION unless it is main. */
  reference: string;
  repo: string;
  /** The refs (branches, tags) that point at this snapshot, or its commit when none does. */
  revision: string;
  commit: string;
  folder: string;
  /** As config.json names it, e.g. LlamaForCausalLM. */
  architecture: string;
  parameters: number;
  /** The weights' dtypes, e.g. bfloat16, or float16+float32 for mixed files. */
  dtype: string;
  /** Bytes of the snapshot's files (their blobs). */
  sizeOnDisk: number;
}

export interface CacheListing {
  models: CachedModel[];
  /** Complete snapshots that cannot be run, with why (an unsupported architecture, a broken file). */
  skipped: { repo: string; commit: string; reason: string }[];
}

export function listCachedModels(cacheDir: string): CacheListing {
  const listing: CacheListing = { models: [], skipped: [] };
  for (const { repo, folder } of cacheRepos(cacheDir)) {
    const refs = refsByCommit(folder);
    for (const commit of subfolders(path.join(folder, 'snapshots'))) {
      const snapshot = path.join(folder, 'snapshots', commit);
      try {
        if (missingModelFiles(snapshot).length > 0) continue;
        const revisions = refs.get(commit) ?? [commit];
        listing.models.push({ ...describe(snapshot), reference: formatHubId({ repo, revision: revisions[0] }), repo, revision: revisions.join(', '), commit, folder: snapshot });
      } catch (error) {
        listing.skipped.push({ repo, commit, reason: (error as Error).message });
      }
    }
  }
  return listing;
}

function describe(snapshot: string): Pick<CachedModel, 'architecture' | 'parameters' | 'dtype' | 'sizeOnDisk'> {
  const { architecture, weights } = inspectHuggingFace(snapshot);
  // A tied head refers to the embedding's bytes: count each stored tensor once.
  const stored = new Map<string, WeightRef>(Object.values(weights).map((ref) => [`${ref.file}:${ref.offset}`, ref]));
  const parameters = [...stored.values()].reduce((sum, ref) => sum + ref.shape.reduce((n, size) => n * size, 1), 0);
  const dtype = [...new Set([...stored.values()].map((ref) => ref.dtype))].sort().join('+');
  return { architecture, parameters, dtype, sizeOnDisk: sizeOnDisk(snapshot) };
}

/** Each blob once, though several snapshots or names may link to it. */
function sizeOnDisk(snapshot: string): number {
  const blobs = new Map<string, number>();
  for (const name of fs.readdirSync(snapshot)) {
    const stat = fs.statSync(path.join(snapshot, name), { throwIfNoEntry: false });
    if (stat?.isFile()) blobs.set(fs.realpathSync(path.join(snapshot, name)), stat.size);
  }
  return [...blobs.values()].reduce((sum, size) => sum + size, 0);
}

/** refs/ read back: commit → the branch and tag names pointing at it (main first). */
function refsByCommit(repoFolder: string): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  const walk = (folder: string, prefix: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(file, `${prefix}${entry.name}/`);
        continue;
      }
      const commit = fs.readFileSync(file, 'utf8').trim();
      byCommit.set(commit, [...(byCommit.get(commit) ?? []), prefix + entry.name]);
    }
  };
  if (fs.existsSync(path.join(repoFolder, 'refs'))) walk(path.join(repoFolder, 'refs'), '');
  for (const names of byCommit.values()) names.sort((a, b) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
  return byCommit;
}

function subfolders(folder: string): string[] {
  try {
    return fs.readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}
