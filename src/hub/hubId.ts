/** Hugging Face model ids as users type them: `ORG/NAME`, optionally `@REVISION` (a branch, tag or commit). */

export interface HubId {
  /** ORG/NAME. */
  repo: string;
  /** The branch, tag or commit asked for; `main` when none is given. */
  revision: string;
}

export const DEFAULT_REVISION = 'main';

/** The hub's own rule for user and repo names: letters, digits, `-`, `_` and `.`, not starting or ending with `-` or `.`, without `--` or `..`. */
const NAME = /^(?![-.])(?!.*(--|\.\.))[\w.-]{1,96}(?<![-.])$/;
/** Git ref names: no spaces, no `..`, no leading `/` or `-`; branch names may hold `/`. */
const REVISION = /^(?![-/])(?!.*\.\.)[\w./-]{1,255}$/;

/** The id `text` names, or undefined when it is not one (then it can only be a path). */
export function parseHubId(text: string): HubId | undefined {
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : text.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((part) => NAME.test(part)) || !REVISION.test(revision)) return undefined;
  return { repo, revision };
}

/** The id as a user writes it, the revision shown only when it is not the default. */
export function formatHubId(id: HubId): string {
  return id.revision === DEFAULT_REVISION ? id.repo : `${id.repo}@${id.revision}`;
}

export const isCommitHash = (revision: string): boolean => /^[0-9a-f]{40}$/.test(revision);
