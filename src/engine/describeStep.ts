/** What a front end says for each step of the engine's work, and how far along it is: the extension's notification and the CLI's progress line say the same. */
import type { ProgressStep } from './api';

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
