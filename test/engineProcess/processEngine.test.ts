/** The engine in a child process: the same results as in-process, progress and cancel across the boundary, and a dead or bloated child reported, not fatal. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ProgressStep } from '../../src/engine/api';
import { openEngine } from '../../src/engine/open';
import { ProcessEngine } from '../../src/engineProcess/processEngine';
import type { BackwardLensResult } from '../../src/result/schema';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';

const SCRIPT = path.resolve(__dirname, '../../src/engineProcess/engineChild.js');
const REQUEST = { prompt: 'Once upon a time, there was a little girl named', target: 'Tom', lossMode: 'paper' as const, topK: 5 };
const cacheDir = makeTempDir('process-engine');
after(() => removeDir(cacheDir));

const withoutTimes = ({ createdAt: _c, timings: _t, ...rest }: BackwardLensResult) => rest;

let engine: ProcessEngine;
let stops: string[];
before(async () => {
  stops = [];
  engine = await ProcessEngine.open(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir }, () => undefined, { script: SCRIPT, onExit: (r) => stops.push(r) });
});
after(() => engine.dispose());

test('a child-process analysis equals the in-process one, with its progress steps', async () => {
  const steps: ProgressStep[] = [];
  const remote = await engine.analyze(REQUEST, { onProgress: (s) => steps.push(s) });
  const local = await openEngine(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir });
  try {
    assert.deepEqual(withoutTimes(remote), withoutTimes(await local.analyze(REQUEST)));
    assert.deepEqual(await engine.predictNext('Once upon a', 3), await local.predictNext('Once upon a', 3));
  } finally {
    await local.dispose();
  }
  assert.equal(engine.modelName, 'stories260K');
  assert.deepEqual(steps.map((s) => s.stage).filter((s, i, all) => all.indexOf(s) === i), ['compile', 'gradient', 'lens']);
});

test('errors cross the boundary under their own names', async () => {
  await assert.rejects(engine.analyze({ ...REQUEST, prompt: '  ' }), (e: Error) => e.name === 'InputError' && /prompt is empty/.test(e.message));
  await assert.rejects(ProcessEngine.open(path.join(cacheDir, 'nowhere'), {}, () => undefined, { script: SCRIPT }), (e: Error) => e.name === 'ModelLoadError');
});

test('a call cancelled while it compiles stops at its next step, and the engine stays usable', async () => {
  // A fresh cache: the first analysis compiles its graphs, which leaves time for the cancel to arrive.
  const fresh = await ProcessEngine.open(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir: makeTempDir('process-engine-cancel') }, () => undefined, { script: SCRIPT });
  try {
    const abort = new AbortController();
    const started = Date.now();
    const pending = fresh.analyze(REQUEST, { signal: abort.signal, onProgress: (s) => s.stage === 'compile' && abort.abort() });
    await assert.rejects(pending, /Cancelled/);
    assert.ok(Date.now() - started < 5000);
    assert.ok((await fresh.analyze(REQUEST)).tokens.length > 0);
    const aborted = new AbortController();
    aborted.abort(new Error('user pressed Cancel'));
    await assert.rejects(fresh.analyze(REQUEST, { signal: aborted.signal }), /user pressed Cancel/);
  } finally {
    await fresh.dispose();
  }
});

test('a killed child fails its calls with a clear message and reports its exit', async () => {
  const doomed = await ProcessEngine.open(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir }, () => undefined, { script: SCRIPT, onExit: (r) => stops.push(r) });
  const pending = doomed.analyze(REQUEST);
  (doomed as unknown as { child: { kill(s: string): void } }).child.kill('SIGKILL');
  await assert.rejects(pending, (e: Error) => e.name === 'EngineProcessError' && /engine process stopped: it was killed \(SIGKILL; out of memory\?\)\. The next analysis starts a new one/.test(e.message));
  await assert.rejects(doomed.analyze(REQUEST), /engine process stopped/);
  assert.ok(stops.some((r) => /killed/.test(r)));
});

test('a child past its memory limit is stopped and says so', async () => {
  const reasons: string[] = [];
  // 1 MB: any Node process is over it by its first memory reading, half a second in.
  const opened = ProcessEngine.open(STORIES260K_DIR, { executionProvider: 'cpu', cacheDir }, () => undefined, { script: SCRIPT, memoryLimitBytes: 2 ** 20, onExit: (r) => reasons.push(r) });
  const small = await opened.catch((error: Error) => error);
  for (const deadline = Date.now() + 5000; reasons.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  assert.match(reasons[0] ?? '', /more than its memory limit of 0\.0 GB/);
  // Whether the model opened before the first reading or not, what was asked of the process fails saying why.
  const failure = small instanceof Error ? small : await small.analyze(REQUEST).catch((error: Error) => error);
  assert.match(String((failure as Error).message), /engine process stopped: it used more than its memory limit/);
});

test('a 100-analysis session of varied prompts: resident memory after run 100 within 10 % of run 10', async () => {
  const words = 'Once upon a time there was a little girl named Lily she liked to play with her ball in the park one day'.split(' ');
  const resident: Record<number, number> = {};
  for (let run = 1; run <= 100; run++) {
    // Lengths from 3 to 62 tokens in every ten runs, in all three loss modes: run 10 has seen the longest.
    const prompt = Array.from({ length: 3 + ((run * 37) % 60) }, (_, i) => words[(i * 3 + run) % words.length]).join(' ');
    await engine.analyze({ prompt, target: words[run % words.length], lossMode: (['paper', 'continuation', 'text'] as const)[run % 3], topK: 5 });
    resident[run] = engine.residentBytes;
  }
  const growth = resident[100] / resident[10] - 1;
  console.log(`engine process resident memory: run 10 ${(resident[10] / 1e6).toFixed(1)} MB, run 100 ${(resident[100] / 1e6).toFixed(1)} MB (${(growth * 100).toFixed(1)} %)`);
  assert.ok(resident[10] > 0 && growth < 0.1, `grew ${(growth * 100).toFixed(1)} %`);
});
