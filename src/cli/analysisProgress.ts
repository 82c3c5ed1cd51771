/**
 * The analysis's steps on stderr — loading, compiling, the forward and backward pass, the lens's
 * blocks — when stderr is a terminal and the work has lasted more than a second: a short analysis
 * prints nothing extra, and piped or redirected output stays clean (cli-progress draws with
 * cursor movements).
 */
import { SingleBar } from 'cli-progress';
import { describeStep } from '../engine/describeStep';
import type { ProgressStep } from '../engine/api';

const QUIET_MS = 1000;

export class AnalysisProgress {
  private bar: SingleBar | undefined;
  private current = { message: 'loading the model…', percent: 0 };
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.timer = stream.isTTY ? setTimeout(() => this.show(), QUIET_MS) : undefined;
  }

  readonly onProgress = (step: ProgressStep): void => {
    const view = describeStep(step);
    this.current = { message: view.message, percent: view.percent ?? this.current.percent };
    this.bar?.update(this.current.percent, { step: this.current.message });
  };

  private show(): void {
    this.bar = new SingleBar({ stream: this.stream, format: '[{bar}] {percentage}% | {step}', barsize: 24, barCompleteChar: '█', barIncompleteChar: '░', hideCursor: true });
    this.bar.start(100, this.current.percent, { step: this.current.message });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.bar?.stop();
    this.bar = undefined;
  }
}
