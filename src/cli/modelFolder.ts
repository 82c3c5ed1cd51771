/** The folder a command's --model names: the embedded stories260K when absent, a path, or a hub id fetched with a progress bar (Ctrl+C stops the download cleanly). */
import * as path from 'node:path';
import { defaultModelPath } from '../engine/open';
import { hubOptionsFromEnvironment } from '../hub/hubOptions';
import { resolveModel } from '../hub/resolveModel';
import { DownloadBar } from './downloadProgress';

/** Compiled to out/src/cli/: the repository (or package) root is three levels up. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

export async function modelFolder(reference: string | undefined): Promise<string> {
  if (reference === undefined) return defaultModelPath(PACKAGE_ROOT);
  const abort = new AbortController();
  const bar = new DownloadBar(reference);
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await resolveModel(reference, hubOptionsFromEnvironment(), { signal: abort.signal, onProgress: (progress) => bar.update(progress) });
  } finally {
    bar.stop();
    process.off('SIGINT', onInterrupt);
  }
}
