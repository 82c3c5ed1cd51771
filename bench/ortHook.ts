/**
 * Watches (and optionally amends) every onnxruntime session the engine creates in this process,
 * by wrapping `InferenceSession.create`. The benchmark uses it to read the engine's exact
 * session options (so the roof runs with the same ones) and to switch onnxruntime's profiler on
 * for the engine's own graph, feeds and fetches, without touching src/.
 */
import * as ort from 'onnxruntime-node';

type Options = ort.InferenceSession.SessionOptions;
export interface CreatedSession {
  session: ort.InferenceSession;
  options: Options;
  /** Wall time of InferenceSession.create itself (model parse, graph optimisation, weight load). */
  createMs: number;
}

/** `extra` is merged into every create's options; a function gives each session its own (e.g. a profile file prefix). */
export function hookSessionCreate(extra: Options | (() => Options), onCreate: (created: CreatedSession) => void): () => void {
  const holder = ort.InferenceSession as unknown as { create: (...args: unknown[]) => Promise<ort.InferenceSession> };
  const original = holder.create;
  holder.create = async (...args: unknown[]) => {
    const last = args[args.length - 1];
    const hasOptions = typeof last === 'object' && last !== null && !(last instanceof Uint8Array) && !(last instanceof ArrayBuffer);
    const options: Options = { ...(hasOptions ? (last as Options) : {}), ...(typeof extra === 'function' ? extra() : extra) };
    const callArgs = hasOptions ? [...args.slice(0, -1), options] : [...args, options];
    const started = performance.now();
    const session = await original.apply(ort.InferenceSession, callArgs);
    onCreate({ session, options, createMs: performance.now() - started });
    return session;
  };
  return () => {
    holder.create = original;
  };
}

/** The engine's session options without the per-model parts (external data). */
export function reusableOptions(options: Options): Options {
  const { externalData: _ignored, ...rest } = options as Options & { externalData?: unknown };
  void _ignored;
  return rest;
}
