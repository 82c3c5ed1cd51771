/**
 * readWeightValues on a thread of its own, for weights worth one. onnxruntime-node creates a
 * session synchronously, so reading (and widening) the unembedding on the engine's thread waits
 * behind the session instead of beside it: 1B Llama, 0.6–1.1 s in float32, 1.1–1.4 s in bfloat16.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ModelLoadError } from '../files/modelLoadError';
import type { WeightRef } from './description';
import { readWeightValues } from './weightValues';
import type { WeightValuesAnswer } from './weightValuesWorker';

/** Below this a thread's start (tens of ms) costs more than the read it takes off the engine's thread. */
const OFF_THREAD_FROM_BYTES = 16 * 1024 * 1024;

/** Beside this file in both builds: out/src/model/ (tsc) and dist/ (the extension's bundle). */
const WORKER_SCRIPT = path.join(__dirname, 'weightValuesWorker.js');

export function readWeightValuesOffThread(ref: WeightRef): Promise<Float32Array> {
  if (ref.length < OFF_THREAD_FROM_BYTES) return Promise.resolve().then(() => readWeightValues(ref));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: ref });
    worker.once('message', (reply: WeightValuesAnswer) => {
      if ('values' in reply) resolve(reply.values);
      else reject(reply.modelLoadError ? new ModelLoadError(reply.error) : new Error(reply.error));
    });
    worker.once('error', reject);
    // After an answer this rejects nothing: a promise settles once.
    worker.once('exit', (code) => reject(new Error(`the thread reading ${ref.file} stopped (exit code ${code}) before it answered`)));
  });
}
