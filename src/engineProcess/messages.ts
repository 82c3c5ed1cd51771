/**
 * What the extension host and the engine's child process say to each other over Node's IPC
 * channel: calls of the Engine API (plain data both ways), their progress, cancellation, and
 * log lines. The child runs one engine; every call names the method and carries its arguments.
 */
import type { Engine, EngineOptions, ProgressStep } from '../engine/api';

/** Every Engine method but dispose (which is ending the process); each takes plain data and, last, an optional RunControl. */
export type EngineMethod = Exclude<{ [K in keyof Engine]: Engine[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Engine], 'dispose'>;

export type ToChild =
  | { type: 'open'; modelPath: string; options: EngineOptions }
  | { type: 'call'; id: number; method: EngineMethod; args: unknown[] }
  | { type: 'cancel'; id: number };

/** An error as it crossed the boundary: its class name (ModelLoadError, InputError, …) and message. */
export interface ErrorData {
  name: string;
  message: string;
}

export type FromChild =
  | { type: 'opened'; modelName: string; contextLength: number; executionProvider: 'cpu' | 'cuda'; executionProviderNote?: string }
  | { type: 'openFailed'; error: ErrorData }
  | { type: 'progress'; id: number; step: ProgressStep }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: ErrorData }
  | { type: 'log'; line: string };

export function errorData(error: unknown): ErrorData {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/** The child's error again on this side, under its own name, so a front end reads it as it would in-process. */
export function errorFrom(data: ErrorData): Error {
  const error = new Error(data.message);
  error.name = data.name;
  return error;
}
