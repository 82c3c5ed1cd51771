/** Model sizes as people write them: parameter counts (124M, 1.1B) and bytes on disk (548.1 MB). */

/** 124M, 1.1B, 260K: how model sizes are usually written. */
export function formatCount(n: number): string {
  const [scale, unit] = n >= 1e9 ? [1e9, 'B'] : n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'K'] : [1, ''];
  const value = n / scale;
  return `${value >= 100 || scale === 1 ? Math.round(value) : value.toPrecision(2)}${unit}`;
}

export function formatBytes(bytes: number): string {
  const [scale, unit] = bytes >= 1e9 ? [1e9, 'GB'] : bytes >= 1e6 ? [1e6, 'MB'] : [1e3, 'kB'];
  return `${(bytes / scale).toFixed(1)} ${unit}`;
}
