/**
 * Runs the panel's edit previews and sweeps on the engine, inside the same progress
 * notification and busy line as an analysis, and keeps each run with the result it was run on
 * (result.edits). A surface's Cancel aborts its own run. The engine edits in memory only, so
 * there is nothing here to revert.
 */
import * as vscode from 'vscode';
import type { Engine } from '../engine/api';
import type { EditChoice, SweepChoice } from '../protocol/messages';
import { layerList } from '../result/editView';
import { withPreview, withSweep } from '../result/savedEdits';
import type { BackwardLensResult, SavedEdits } from '../result/schema';
import { isFromModel } from './analysisRequest';
import { readSettings } from './configuration';
import { editRequest, sweepRequest } from './editRequest';
import type { EngineHost } from './engineHost';
import type { Job } from './withProgress';

/** Runs `work` on the engine the settings name, in the progress notification; undefined when cancelled. */
export type OnEngine = <T>(work: (engine: Engine, job: Job) => Promise<T>, onStep?: (step: string | undefined) => void, cancel?: AbortSignal) => Promise<T | undefined>;

/** The surface a run answers: it hears the run's steps. */
export interface EditSurface {
  busy(step: string | undefined): void;
}

/** What surfaces ask of the edit preview; a run answers with the result's edits, the new run last. */
export interface EditActions {
  edit(result: BackwardLensResult, choice: EditChoice, from: EditSurface): Promise<SavedEdits | undefined>;
  sweep(result: BackwardLensResult, choice: SweepChoice, from: EditSurface): Promise<SavedEdits | undefined>;
  cancel(from: EditSurface): void;
  /** Whether a saved result can be edited now: its model is the active one, and loaded. */
  canEdit(result: BackwardLensResult): boolean;
}

export class EditController implements EditActions {
  private readonly running = new Map<EditSurface, AbortController>();

  constructor(
    private readonly engines: EngineHost,
    private readonly onEngine: OnEngine,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async edit(result: BackwardLensResult, choice: EditChoice, from: EditSurface): Promise<SavedEdits | undefined> {
    const { activeModel, maxTokens } = this.active();
    const request = editRequest(result, choice, activeModel, maxTokens);
    const preview = await this.run(from, `editing ${layerList(request.layers)}…`, (engine, job) => engine.edit(request, job.control));
    if (!preview) return undefined;
    this.log.info(`edit (${preview.method}, layers ${preview.layers.join(',')}, η ${preview.eta}): loss ${preview.loss.before.toFixed(4)} → ${preview.loss.after.toFixed(4)}${preview.skipped ? ' (skipped)' : ''}`);
    return withPreview(result.edits, preview);
  }

  async sweep(result: BackwardLensResult, choice: SweepChoice, from: EditSurface): Promise<SavedEdits | undefined> {
    const { activeModel, maxTokens } = this.active();
    const request = sweepRequest(result, choice, activeModel, maxTokens);
    const sweep = await this.run(from, `sweeping every layer over ${request.etas.length} values of η…`, (engine, job) => engine.sweepEdit(request, job.control));
    if (!sweep) return undefined;
    this.log.info(`sweep (${sweep.method}): smallest η per layer ${sweep.layers.map((l) => `${l.layer}:${l.smallestEta ?? '—'}`).join(' ')}`);
    return withSweep(result.edits, sweep);
  }

  cancel(from: EditSurface): void {
    this.running.get(from)?.abort();
  }

  canEdit(result: BackwardLensResult): boolean {
    const settings = readSettings();
    return this.engines.loaded(settings) !== undefined && result.lossMode !== 'text' && isFromModel(result, this.engines.resolveModelPath(settings.modelPath));
  }

  private active(): { activeModel: string; maxTokens: number } {
    const settings = readSettings();
    return { activeModel: this.engines.resolveModelPath(settings.modelPath), maxTokens: settings.maxTokens };
  }

  private async run<T>(from: EditSurface, step: string, work: (engine: Engine, job: Job) => Promise<T>): Promise<T | undefined> {
    this.running.get(from)?.abort();
    const cancel = new AbortController();
    this.running.set(from, cancel);
    try {
      return await this.onEngine(
        (engine, job) => {
          job.report(step);
          return work(engine, job);
        },
        (s) => from.busy(s),
        cancel.signal,
      );
    } finally {
      if (this.running.get(from) === cancel) this.running.delete(from);
    }
  }
}
