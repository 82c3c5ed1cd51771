/**
 * The engine's child process: opens one model when asked, then runs the Engine calls it is sent,
 * each with its own AbortController, reporting progress and log lines back. It exits when the
 * extension host disconnects, so no analysis outlives the window that asked for it.
 */
import type { Engine, EngineOptions, RunControl } from '../engine/api';
import { openEngine } from '../engine/open';
import { errorData, type EngineMethod, type FromChild, type ToChild } from './messages';

const send = (message: FromChild): void => {
  process.send?.(message);
};

let engine: Engine | undefined;
const running = new Map<number, AbortController>();

async function call(id: number, method: EngineMethod, args: unknown[]): Promise<void> {
  const abort = new AbortController();
  running.set(id, abort);
  const control: RunControl = { signal: abort.signal, onProgress: (step) => send({ type: 'progress', id, step }) };
  try {
    if (!engine) throw new Error('no model is open in the engine process');
    const run = engine[method] as (...params: unknown[]) => Promise<unknown>;
    const value = await run.call(engine, ...args, control);
    send({ type: 'result', id, value });
  } catch (error) {
    send({ type: 'failed', id, error: errorData(error) });
  } finally {
    running.delete(id);
    // The result's serialized copy is garbage now; collect it while idle (see processEngine.ts).
    setImmediate(() => (globalThis as { gc?: () => void }).gc?.());
  }
}

async function open(modelPath: string, options: EngineOptions): Promise<void> {
  try {
    engine = await openEngine(modelPath, options, (line) => send({ type: 'log', line }));
    send({ type: 'opened', modelName: engine.modelName, contextLength: engine.contextLength, executionProvider: engine.executionProvider, executionProviderNote: engine.executionProviderNote });
  } catch (error) {
    send({ type: 'openFailed', error: errorData(error) });
  }
}

process.on('message', (message: ToChild) => {
  if (message.type === 'open') void open(message.modelPath, message.options);
  else if (message.type === 'call') void call(message.id, message.method, message.args);
  else running.get(message.id)?.abort(new Error('Cancelled.'));
});
process.on('disconnect', () => process.exit(0));
