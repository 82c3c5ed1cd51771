/** Model sizes as people write them: parameter counts (124M, 1.1B) and bytes on disk (548.1 MB). */

/** 124M, 1.1B, 260K: how model sizes are usually written. */
export function formatCount(n: number): string {
  const [scale, unit] = n >= 1e9 ? [1e9, 'B'] : n >= 1e6 ? [1e6, 'M'] : n >= 1e3 ? [1e3, 'K'] : [1, ''];
  const value = n / scale;
  return `${value >= 100 || scale === 1 ? Math.round(value) : value.toPrecision(2)}${unit}`;
}

const byteScale = (bytes: number): [number, string] => (bytes >= 1e9 ? [1e9, 'GB'] : bytes >= 1e6 ? [1e6, 'MB'] : [1e3, 'kB']);

export function formatBytes(bytes: number): string {
  const [scale, unit] = byteScale(bytes);
  return `${(bytes / scale).toFixed(1)} ${unit}`;
}

/** "2.5 of 10.0 MB": a part and its whole, in the whole's unit (a 60 kB file is not "0.0 of 0.1 MB"). */
export function formatBytesOf(part: number, whole: number): string {
  const [scale, unit] = byteScale(whole);
  return `${(part / scale).toFixed(1)} of ${(whole / scale).toFixed(1)} ${unit}`;
}
