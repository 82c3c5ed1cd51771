/** The CLI with Hugging Face ids, against a mock hub on 127.0.0.1 (HF_ENDPOINT) and a temporary cache (HF_HUB_CACHE). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, removeDir } from '../support/fixtures';
import { etagOf } from '../support/hubHashes';
import { commitOf, MockHub, repoFiles, unreachableUrl } from '../support/mockHub';
import { writePythonCache } from '../support/pythonCache';
import { runCli, startCli } from '../support/runCli';
import { writeTinyGpt2, writeTinyNeox } from '../support/tinyModels';

const scratch = makeTempDir('cli-hub');
let hub: MockHub;
let gpt2: Record<string, Buffer>;

before(async () => {
  gpt2 = repoFiles(writeTinyGpt2(path.join(scratch, 'gpt2')).dir);
  const bert = { ...gpt2, 'config.json': Buffer.from(JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' })) };
  const pythia = repoFiles(writeTinyNeox(path.join(scratch, 'pythia'), { dtype: 'float16', sharded: true }).dir);
  hub = await MockHub.start({ 'tiny/gpt2': { files: gpt2 }, 'tiny/bert': { files: bert }, 'tiny/gated': { files: gpt2, gated: true }, 'tiny/pythia': { files: pythia } });
});
after(async () => {
  await hub.stop();
  removeDir(scratch);
});

let caches = 0;
/** A fresh cache (and nothing of the user's: no ~/.cache, no saved token) for each test. */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = path.join(scratch, `home-${++caches}`);
  return { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(home, 'hub'), HF_HOME: home, HF_TOKEN: '', HF_HUB_OFFLINE: '', XDG_CACHE_HOME: path.join(home, 'xdg'), ...extra };
}

const analyze = (model: string) => ['analyze', '--prompt', 'the cat sat on the', '--target', 'mat', '--model', model];

function assertOneLine(result: { status: number | null; stderr: string }, pattern: RegExp, status = 2) {
  assert.equal(result.status, status, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^backward-lens: /);
  assert.match(lines[0], pattern);
}

test('--model ORG/NAME downloads through HF_ENDPOINT, analyses, and the next run makes no request', async () => {
  const env = environment();
  hub.requests.length = 0;
  const first = await runCli(analyze('tiny/gpt2'), env);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^Model\s+tiny\/gpt2 · gpt2 · 2 layers/);
  assert.match(first.stdout, /FF2 VJPs δ_i/);
  assert.equal(first.stderr, '', 'no progress output when stderr is not a terminal');
  assert.ok(hub.requestsFor('/lfs-content/tiny/gpt2/model.safetensors').length === 1);
  hub.requests.length = 0;
  const second = await runCli(analyze('tiny/gpt2'), env);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(hub.requests.length, 0);
  const models = await runCli(['models'], env);
  assert.equal(models.status, 0, models.stderr);
  assert.match(models.stdout, /^MODEL\s+REVISION\s+ARCHITECTURE\s+PARAMETERS\s+DTYPE\s+SIZE\n/);
  assert.match(models.stdout, /\ntiny\/gpt2\s+main\s+GPT2LMHeadModel\s+\d+K\s+float32\s+\d+\.\d kB/);
});

test('a GPT-NeoX (Pythia-shaped, float16, sharded) id downloads, analyses and is listed', async () => {
  const env = environment();
  const result = await runCli(analyze('tiny/pythia'), env);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Model\s+tiny\/pythia · gpt-neox · 2 layers/);
  assert.match(result.stdout, /FF2 VJPs δ_i/);
  const models = await runCli(['models'], env);
  assert.equal(models.status, 0, models.stderr);
  assert.match(models.stdout, /\ntiny\/pythia\s+main\s+GPTNeoXForCausalLM\s+\d+K\s+float16\s+\d+\.\d kB/);
});

test('HF_HUB_OFFLINE=1 runs a cached model with the hub stopped, and refuses an uncached one in one line', async () => {
  const env = environment();
  const ownHub = await MockHub.start({ 'tiny/gpt2': { files: gpt2 } });
  const endpoint = ownHub.url;
  assert.equal((await runCli(analyze('tiny/gpt2'), { ...env, HF_ENDPOINT: endpoint })).status, 0);
  await ownHub.stop();
  const offline = { ...env, HF_ENDPOINT: endpoint, HF_HUB_OFFLINE: '1' };
  const cached = await runCli(analyze('tiny/gpt2'), offline);
  assert.equal(cached.status, 0, cached.stderr);
  assertOneLine(await runCli(analyze('tiny/llama'), offline), /tiny\/llama is not in the cache .* HF_HUB_OFFLINE=1 forbids downloading it.*cached: tiny\/gpt2/);
  assertOneLine(await runCli(analyze('tiny/llama'), { ...env, HF_ENDPOINT: endpoint }), /Cannot reach .*ECONNREFUSED.*HF_HUB_OFFLINE=1/);
});

test('Ctrl+C stops a download without a half file in the snapshot, and the next run resumes it with Range', async () => {
  const env = environment();
  const partial = path.join(env.HF_HUB_CACHE!, 'models--tiny--gpt2', 'blobs', `${etagOf('model.safetensors', gpt2['model.safetensors'])}.incomplete`);
  const run = startCli(analyze('tiny/gpt2'), env);
  hub.stallOnce.add('model.safetensors');
  hub.onStall = () => {
    const poll = setInterval(() => {
      if (fs.existsSync(partial) && fs.statSync(partial).size > 0) {
        clearInterval(poll);
        run.child.kill('SIGINT');
      }
    }, 5);
  };
  assertOneLine(await run.done, /The download of tiny\/gpt2 was cancelled; what arrived is kept in the cache, and the next download resumes it\./, 130);
  const snapshot = path.join(env.HF_HUB_CACHE!, 'models--tiny--gpt2', 'snapshots', commitOf('tiny/gpt2'));
  assert.ok(!fs.existsSync(path.join(snapshot, 'model.safetensors')));
  const kept = fs.statSync(partial).size;
  hub.requests.length = 0;
  const resumed = await runCli(analyze('tiny/gpt2'), env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(hub.requestsFor('/lfs-content/').map((r) => r.range), [`bytes=${kept}-`]);
});

test('unknown, gated and unsupported models: one line each, exit 2, no weights fetched for the unsupported one', async () => {
  assertOneLine(await runCli(analyze('nobody/nothing'), environment()), /nobody\/nothing is neither a folder here nor a model on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
  assertOneLine(await runCli(analyze('tiny/gated'), environment()), /gated, private or absent .*\(HTTP 401\).*accept its licence on .*\/tiny\/gated and set a token with HF_TOKEN/);
  hub.requests.length = 0;
  assertOneLine(await runCli(analyze('tiny/bert'), environment()), /tiny\/bert cannot be analysed, so its weights were not downloaded: .*BertForMaskedLM.*supported architectures are GPT2LMHeadModel/);
  assert.deepEqual(hub.requestsFor('/resolve/').map((r) => path.basename(r.path)), ['config.json']);
});

test('a model in the cache Python wrote is found and analysed without the hub; models lists it', async () => {
  const env = environment({ HF_ENDPOINT: await unreachableUrl() });
  writePythonCache(env.HF_HUB_CACHE!, 'someone/tiny-gpt2', path.join(scratch, 'gpt2'), 'c'.repeat(40));
  const result = await runCli(analyze('someone/tiny-gpt2'), env);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Model\s+someone\/tiny-gpt2/);
  assert.match((await runCli(['models'], env)).stdout, /\nsomeone\/tiny-gpt2\s+main\s+GPT2LMHeadModel/);
});

test('models with an empty cache says how to fill it', async () => {
  const result = await runCli(['models'], environment());
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^No model in .* can be run yet; download one with backward-lens analyze --model ORG\/NAME\./);
});
