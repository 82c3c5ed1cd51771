/**
 * `backward-lens models`: the Hugging Face cache's models this tool can run, one row each, from
 * their config.json and safetensors headers (no weight is read).
 */
import type { CacheListing, CachedModel } from '../hub/cachedModels';
import { formatBytes, formatCount } from '../hub/formatSizes';

const COLUMNS: [string, (model: CachedModel) => string][] = [
  ['MODEL', (m) => m.repo],
  ['REVISION', (m) => m.revision],
  ['ARCHITECTURE', (m) => m.architecture],
  ['PARAMETERS', (m) => formatCount(m.parameters)],
  ['DTYPE', (m) => m.dtype],
  ['SIZE', (m) => formatBytes(m.sizeOnDisk)],
];

export function renderModels(listing: CacheListing, cacheDir: string): string {
  const lines: string[] = [];
  if (listing.models.length === 0) {
    lines.push(`No model in ${cacheDir} can be run yet; download one with backward-lens analyze --model ORG/NAME.`);
  } else {
    const rows = [COLUMNS.map(([title]) => title), ...listing.models.map((model) => COLUMNS.map(([, cell]) => cell(model)))];
    const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    lines.push(...rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()));
  }
  if (listing.skipped.length > 0) {
    lines.push('', `Also cached, but not runnable (--model with one of them says why): ${listing.skipped.map((s) => s.repo).join(', ')}`);
  }
  return lines.join('\n');
}
