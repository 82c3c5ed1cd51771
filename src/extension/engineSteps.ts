/**
 * What the progress notification says while a model downloads, and how far its bar is (the
 * engine's own steps are described in src/engine/describeStep.ts). No VS Code import, so it is
 * unit-tested.
 */
import type { StepView } from '../engine/describeStep';
import type { DownloadProgress } from '../hub/download';
import { formatBytesOf } from '../hub/formatSizes';

export function describeDownload(progress: DownloadProgress): Required<StepView> {
  const percent = progress.total > 0 ? (100 * progress.done) / progress.total : 100;
  return { message: `downloading ${progress.file}: ${formatBytesOf(progress.done, progress.total)}`, percent };
}
