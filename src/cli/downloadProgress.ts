/**
 * The download's progress on stderr, when stderr is a terminal: one bar with percent, megabytes,
 * MB/s, ETA and the file arriving. Piped or redirected, it prints nothing (cli-progress draws
 * with cursor movements, which a log would only garble).
 */
import { SingleBar } from 'cli-progress';
import type { DownloadProgress } from '../hub/download';

const MB = 1e6;

export class DownloadBar {
  private bar: SingleBar | undefined;
  private started = { at: 0, done: 0 };

  constructor(
    private readonly model: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(progress: DownloadProgress): void {
    if (!this.stream.isTTY) return;
    if (!this.bar) {
      this.bar = new SingleBar({
        stream: this.stream,
        format: `${this.model} [{bar}] {percentage}% | {done}/{size} MB | {speed} MB/s | ETA {eta_formatted} | {file}`,
        barsize: 24,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        etaBuffer: 50,
      });
      // MB/s counts this run's bytes only: a resumed part was on disk before it started.
      this.started = { at: Date.now(), done: progress.done };
      this.bar.start(progress.total, progress.done, this.payload(progress));
    }
    this.bar.update(progress.done, this.payload(progress));
    if (progress.done >= progress.total) this.stop();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private payload(progress: DownloadProgress): Record<string, string> {
    const seconds = Math.max((Date.now() - this.started.at) / 1000, 1e-3);
    return {
      file: progress.file,
      done: (progress.done / MB).toFixed(1),
      size: (progress.total / MB).toFixed(1),
      speed: ((progress.done - this.started.done) / MB / seconds).toFixed(1),
    };
  }
}
