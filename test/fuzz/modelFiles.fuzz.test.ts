/**
 * Seeded fuzz test of the loaders and the engine: 1,000 mutated model folders (see mutations.ts),
 * each loaded and, when it loads, analysed in a child process with a time and a memory limit.
 * Every case must end in a clean outcome — analysed into a valid result, or refused with a typed
 * error — with no hang, no abort, no raw exception, and no file read outside its folder.
 * BLENS_FUZZ_CASES sets the number of cases, BLENS_FUZZ_SEED the first seed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { residentBytes } from '../../src/engineProcess/processEngine';
import type { CaseReport } from './fuzzCase';
import { makeCase, writeBases, type Base, type FuzzCase } from './mutations';
import { makeTempDir, removeDir } from '../support/fixtures';

const CASES = Number(process.env.BLENS_FUZZ_CASES ?? 1000);
const FIRST_SEED = Number(process.env.BLENS_FUZZ_SEED ?? 1);
const TIME_LIMIT_MS = 60_000;
const MEMORY_LIMIT_BYTES = 1.5 * 2 ** 30;
const CHILD = path.join(__dirname, 'fuzzCase.js');
/** Compiled to out/test/fuzz/: the repository root, whose out/ and node_modules/ the child loads its code from (node_modules may be a link elsewhere). */
const REPO_ROOT = path.resolve(__dirname, '../../..');
const CODE_ROOTS = [REPO_ROOT, fs.realpathSync(path.join(REPO_ROOT, 'node_modules'))];
/** The memory plan reads what the machine has free (/proc/meminfo, the cgroup's limit): facts of the system, not files a model names. */
const SYSTEM_ROOTS = ['/proc', '/sys/fs/cgroup'];

/** What each refusal may be: a loader refuses with a ModelLoadError; an analysis with one of these. */
const TYPED_ANALYSIS_ERRORS = ['ModelLoadError', 'InputError', 'NonFiniteResultError'];

type Verdict = CaseReport['outcome'] | 'hang' | 'memory' | 'abort' | 'raw exception' | 'read outside';

interface Finding {
  fuzzCase: FuzzCase;
  verdict: Verdict;
  detail: string;
}

let root: string;
let bases: Base[];
before(() => {
  root = makeTempDir('fuzz');
  bases = writeBases(root);
});
after(() => removeDir(root));

function runChild(fuzzCase: FuzzCase, cacheDir: string): Promise<Finding> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--max-old-space-size=512', CHILD, fuzzCase.dir, cacheDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedFor: Verdict | undefined;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const kill = (why: Verdict) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('hang'), TIME_LIMIT_MS);
    const watch = setInterval(() => {
      if (child.pid && residentBytes(child.pid) > MEMORY_LIMIT_BYTES) kill('memory');
    }, 100);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      const finding = (verdict: Verdict, detail: string): Finding => ({ fuzzCase, verdict, detail });
      if (killedFor) return resolve(finding(killedFor, `killed after ${killedFor === 'hang' ? `${TIME_LIMIT_MS} ms` : 'exceeding the memory limit'}`));
      let report: CaseReport;
      try {
        report = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        return resolve(finding('abort', `exit ${code ?? signal}, no report; stderr: ${stderr.slice(-500)}`));
      }
      if (code !== 0 || (report.outcome as string) === 'crashed') return resolve(finding('raw exception', report.message ?? `exit ${code}`));
      const outside = report.opened.filter((file) => ![fuzzCase.dir, cacheDir, ...CODE_ROOTS, ...SYSTEM_ROOTS].some((allowed) => file === allowed || file.startsWith(allowed + path.sep)));
      if (outside.length) return resolve(finding('read outside', outside.join(', ')));
      const typed = report.outcome === 'analysed' || (report.outcome === 'load refused' ? report.errorName === 'ModelLoadError' : TYPED_ANALYSIS_ERRORS.includes(report.errorName ?? ''));
      if (!typed) return resolve(finding('raw exception', `${report.outcome}: ${report.errorName}: ${report.message}`));
      if (report.message && report.message.includes('\n')) return resolve(finding('raw exception', `a message of several lines: ${report.message}`));
      resolve(finding(report.outcome, report.message ?? ''));
    });
  });
}

test(`${CASES} mutated model folders: each analysed or refused with a typed error, no hang, abort or outside read`, { timeout: 60 * 60_000 }, async () => {
  const cacheDir = path.join(root, 'cache');
  const seeds = Array.from({ length: CASES }, (_, i) => FIRST_SEED + i);
  const findings: Finding[] = [];
  const workers = Math.max(1, Math.min(2, os.availableParallelism()));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let seed = seeds.shift(); seed !== undefined; seed = seeds.shift()) {
        const fuzzCase = makeCase(root, bases, seed);
        findings.push(await runChild(fuzzCase, cacheDir));
        fs.rmSync(fuzzCase.dir, { recursive: true, force: true });
      }
    }),
  );
  const tally = new Map<string, number>();
  for (const f of findings) tally.set(`${f.fuzzCase.base}: ${f.verdict}`, (tally.get(`${f.fuzzCase.base}: ${f.verdict}`) ?? 0) + 1);
  console.log(`fuzz outcomes (${findings.length} cases, seeds ${FIRST_SEED}–${FIRST_SEED + CASES - 1}):`);
  for (const [key, count] of [...tally].sort()) console.log(`  ${key}: ${count}`);
  const bad = findings.filter((f) => !['analysed', 'load refused', 'analysis refused'].includes(f.verdict));
  assert.equal(findings.length, CASES);
  assert.deepEqual(
    bad.map((f) => `seed ${f.fuzzCase.seed} (${f.fuzzCase.base}, ${f.fuzzCase.mutation}): ${f.verdict}: ${f.detail.slice(0, 300)}`),
    [],
  );
  // The mutations must reach both sides: some folders load and analyse, most are refused.
  assert.ok(findings.some((f) => f.verdict === 'analysed') && findings.some((f) => f.verdict === 'load refused'));
});
