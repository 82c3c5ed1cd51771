/**
 * One fuzz case, run in a child process by modelFiles.fuzz.test.ts: load the model folder given
 * on the command line and, if it loads, analyse a short prompt. Prints one JSON line: the
 * outcome, the error's class and message, and every file the process opened, so the parent can
 * check that nothing outside the folder was read. Only runs when given a folder (node --test,
 * which runs every file under out/test, passes none).
 */
// The module object itself (not an import namespace, whose members are read-only getters), so its functions can be wrapped.
import fs = require('node:fs');
import * as path from 'node:path';

export interface CaseReport {
  outcome: 'analysed' | 'load refused' | 'analysis refused';
  errorName?: string;
  message?: string;
  opened: string[];
}

/** Records every path opened through Node's fs (module loading included), before anything else loads. */
function recordOpens(opened: Set<string>): void {
  const wrap = <F extends (...args: never[]) => unknown>(owner: Record<string, unknown>, name: string) => {
    const original = owner[name] as F;
    owner[name] = function (this: unknown, ...args: Parameters<F>) {
      if (typeof args[0] === 'string') opened.add(realPath(args[0]));
      return original.apply(this, args);
    };
  };
  for (const name of ['openSync', 'readFileSync', 'open', 'readFile', 'createReadStream']) wrap(fs as unknown as Record<string, unknown>, name);
  for (const name of ['open', 'readFile']) wrap(fs.promises as unknown as Record<string, unknown>, name);
}

/** Where a path really leads: a link to /etc/passwd inside the folder is a read of /etc/passwd. */
function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

async function runCase(dir: string, cacheDir: string): Promise<CaseReport> {
  const opened = new Set<string>();
  recordOpens(opened);
  // Required after the recording starts, so their own reads are seen too.
  const { loadModel } = require('../../src/model/load') as typeof import('../../src/model/load');
  const report = (outcome: CaseReport['outcome'], error?: Error): CaseReport => ({ outcome, errorName: error?.name, message: error?.message, opened: [...opened] });
  try {
    await loadModel(dir);
  } catch (error) {
    return report('load refused', error as Error);
  }
  // Only a folder that loads pays for onnxruntime's start-up.
  const { openEngine } = require('../../src/engine/open') as typeof import('../../src/engine/open');
  const { validateResult } = require('../../src/result/validate') as typeof import('../../src/result/validate');
  let engine: Awaited<ReturnType<typeof openEngine>> | undefined;
  try {
    engine = await openEngine(dir, { executionProvider: 'cpu', cacheDir });
    const result = await engine.analyze({ prompt: 'Once upon a time', target: ' there', lossMode: 'paper', topK: 3 });
    validateResult(JSON.parse(JSON.stringify(result)));
    return report('analysed');
  } catch (error) {
    return report('analysis refused', error as Error);
  } finally {
    await engine?.dispose();
  }
}

if (require.main === module && process.argv[2]) {
  runCase(process.argv[2], process.argv[3]).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    },
    (error: Error) => {
      // A rejection outside the two expected places: the parent counts it as a raw exception.
      process.stdout.write(`${JSON.stringify({ outcome: 'crashed', errorName: error?.name, message: error?.stack ?? String(error), opened: [] })}\n`);
      process.exit(3);
    },
  );
}
