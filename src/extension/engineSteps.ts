/**
 * What the progress notification says for each step the engine (or a model download) reports,
 * and how far its bar is. No VS Code import, so it is unit-tested.
 */
import type { ProgressStep } from '../engine/api';
import type { DownloadProgress } from '../hub/download';

export interface StepView {
  message: string;
  /** How far the bar is, 0–100, for steps counted in parts: the lens's blocks. */
  percent?: number;
}

export function describeStep(step: ProgressStep): StepView {
  switch (step.stage) {
    case 'compile':
      return { message: 'compiling…' };
    case 'gradient':
      return { message: 'forward and backward pass…' };
    case 'lens': {
      const { done, total } = step;
      if (done === undefined || !total) return { message: 'lens…' };
      // `done` blocks are finished: name the one under way (the last, once all are done).
      return { message: `lens block ${Math.min(done + 1, total)} of ${total}`, percent: (100 * Math.min(done, total)) / total };
    }
  }
}

export function describeDownload(progress: DownloadProgress): Required<StepView> {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const percent = progress.total > 0 ? (100 * progress.done) / progress.total : 100;
  return { message: `downloading ${progress.file}: ${mb(progress.done)} of ${mb(progress.total)} MB`, percent };
}
