/**
 * The thread of readWeightValuesOffThread: reads one weight as float32 and hands its buffer back
 * to the thread that asked, moved rather than copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelLoadError } from '../files/modelLoadError';
import type { WeightRef } from './description';
import { readWeightValues } from './weightValues';

/** What the thread answers: the values, or why they could not be read. */
export type WeightValuesAnswer = { values: Float32Array } | { error: string; modelLoadError: boolean };

function answer(ref: WeightRef): void {
  let reply: WeightValuesAnswer;
  try {
    const values = readWeightValues(ref);
    // Only a view over the whole of its buffer can be moved; anything else is copied once first.
    const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength ? values : values.slice();
    reply = { values: whole };
  } catch (error) {
    reply = { error: (error as Error).message, modelLoadError: error instanceof ModelLoadError };
  }
  parentPort!.postMessage(reply, 'values' in reply ? [reply.values.buffer as ArrayBuffer] : []);
}

answer(workerData as WeightRef);
