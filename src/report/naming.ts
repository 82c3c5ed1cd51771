/**
 * Names for saved results: `<YYYY-MM-DD>-<slug>.blens.json`, dated in local time (the date a
 * user expects to see in their file list) and slugged from the prompt and target so a folder
 * of results reads like a lab notebook.
 */
import type { BackwardLensResult } from '../result/schema';

export const RESULT_EXTENSION = '.blens.json';
export const REPORT_EXTENSION = '.md';

const MAX_SLUG = 48;

export function dateStamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Lower-case ASCII words joined by dashes, never empty, at most MAX_SLUG characters. When the
 * text is too long its *end* is kept: the words just before the target, and the target, say
 * what was probed ("grew-up-in-paris").
 */
export function slugify(text: string): string {
  let slug = '';
  for (const w of words(text).reverse()) {
    const next = slug ? `${w}-${slug}` : w;
    if (next.length > MAX_SLUG) {
      if (!slug) slug = w.slice(0, MAX_SLUG);
      break;
    }
    slug = next;
  }
  return slug || 'analysis';
}

/** The base name (no extension) for a result: prompt words, then the target's. */
export function resultBaseName(result: Pick<BackwardLensResult, 'prompt' | 'target' | 'createdAt'>): string {
  const created = new Date(result.createdAt);
  const date = Number.isNaN(created.getTime()) ? new Date() : created;
  const text = result.target.trim() ? `${result.prompt} ${result.target}` : result.prompt;
  return `${dateStamp(date)}-${slugify(text)}`;
}

/** `base`, then `base-2`, `base-3`, …: the candidates tried until one is free. */
export function* candidateBaseNames(base: string): Generator<string> {
  yield base;
  for (let i = 2; ; i++) yield `${base}-${i}`;
}
