/** Downloads from a mock hub into a fresh cache: the layout Python shares, only the files needed, resumption, integrity, and each failure's one line. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveModel } from '../../src/hub/resolveModel';
import { downloadModel } from '../../src/hub/download';
import { DownloadCancelled, HubError } from '../../src/hub/hubError';
import { parseHubId } from '../../src/hub/hubId';
import { CLI_HINTS, type HubOptions } from '../../src/hub/hubOptions';
import { loadModel } from '../../src/model/load';
import { makeTempDir, removeDir } from '../support/fixtures';
import { etagOf } from '../support/hubHashes';
import { commitOf, MOCK_TOKEN, MockHub, repoFiles, unreachableUrl } from '../support/mockHub';
import { writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

const scratch = makeTempDir('hub-download');
let hub: MockHub;
let gpt2: Record<string, Buffer>;

before(async () => {
  gpt2 = repoFiles(writeTinyGpt2(path.join(scratch, 'gpt2')).dir);
  const llama = repoFiles(writeTinyLlama(path.join(scratch, 'llama'), { kind: 'llama', sharded: true }).dir);
  const bert = { ...gpt2, 'config.json': Buffer.from(JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' })) };
  // Files a transformers repo also holds, which Backward Lens must not fetch.
  const extras = { 'README.md': Buffer.from('# tiny'), 'pytorch_model.bin': Buffer.alloc(1000, 1) };
  hub = await MockHub.start({
    'tiny/gpt2': { files: { ...gpt2, ...extras } },
    'tiny/llama': { files: llama },
    'tiny/bert': { files: bert },
    'tiny/gated': { files: gpt2, gated: true },
    'tiny/private': { files: gpt2, private: true },
    'tiny/huge': { files: gpt2, listedSizes: { 'model.safetensors': 1e15 } },
  });
});
after(async () => {
  await hub.stop();
  removeDir(scratch);
});

let caches = 0;
function options(extra: Partial<HubOptions> = {}): HubOptions {
  return { endpoint: hub.url, offline: false, cacheDir: path.join(scratch, `cache-${++caches}`), hints: CLI_HINTS, ...extra };
}

const id = (text: string) => parseHubId(text)!;
const repoDir = (hubOptions: HubOptions, repo: string) => path.join(hubOptions.cacheDir, `models--${repo.replace('/', '--')}`);

test('a download lays the cache out as huggingface_hub does and fetches only what the model needs', async () => {
  const hubOptions = options();
  hub.requests.length = 0;
  const snapshot = await resolveModel('tiny/gpt2', hubOptions);
  const repo = repoDir(hubOptions, 'tiny/gpt2');
  assert.equal(snapshot, path.join(repo, 'snapshots', commitOf('tiny/gpt2')));
  assert.equal(fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8'), commitOf('tiny/gpt2'));
  assert.deepEqual(fs.readdirSync(snapshot).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  for (const name of fs.readdirSync(snapshot)) {
    assert.equal(fs.readlinkSync(path.join(snapshot, name)), path.join('..', '..', 'blobs', etagOf(name, gpt2[name])), name);
    assert.deepEqual(fs.readFileSync(path.join(snapshot, name)), gpt2[name], name);
  }
  assert.deepEqual(fs.readdirSync(path.join(repo, 'blobs')).filter((name) => name.endsWith('.incomplete')), []);
  assert.deepEqual(hub.requestsFor('README').concat(hub.requestsFor('pytorch_model')), []);
  assert.equal((await loadModel(snapshot)).name, 'tiny/gpt2');
  hub.requests.length = 0;
  assert.equal(await resolveModel('tiny/gpt2', hubOptions), snapshot);
  assert.equal(hub.requests.length, 0, 'a complete snapshot is used without any request');
});

test('sharded weights: the index first, then the shards it names', async () => {
  const snapshot = await resolveModel('tiny/llama', options());
  assert.deepEqual(fs.readdirSync(snapshot).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']);
  assert.equal((await loadModel(snapshot)).config.architecture, 'llama');
});

test('offline: a cached model needs no hub, a missing one is one line naming the cached ones', async () => {
  const hubOptions = options();
  await resolveModel('tiny/gpt2', hubOptions);
  hub.requests.length = 0;
  const offline = { ...hubOptions, offline: true, endpoint: await unreachableUrl() };
  assert.match(await resolveModel('tiny/gpt2', offline), /snapshots/);
  await assert.rejects(resolveModel('tiny/llama', offline), /^HubError: tiny\/llama is not in the cache .*HF_HUB_OFFLINE=1 forbids downloading it.*cached: tiny\/gpt2/);
  assert.equal(hub.requests.length, 0);
});

test('no network: says so, and offers HF_HUB_OFFLINE=1 and the cached models', async () => {
  const hubOptions = options({ endpoint: await unreachableUrl() });
  await assert.rejects(resolveModel('tiny/gpt2', hubOptions), /^HubError: Cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) .*HF_HUB_OFFLINE=1.*none is cached/);
});

test('a connection cut mid-file resumes from where it stopped with a Range request', async () => {
  const hubOptions = options();
  hub.requests.length = 0;
  hub.cutOnce.add('model.safetensors');
  const snapshot = await resolveModel('tiny/gpt2', hubOptions);
  const transfers = hub.requestsFor('/lfs-content/tiny/gpt2/model.safetensors');
  assert.equal(transfers.length, 2);
  assert.equal(transfers[0].range, undefined);
  assert.match(transfers[1].range ?? '', /^bytes=[1-9]\d*-$/);
  assert.deepEqual(fs.readFileSync(path.join(snapshot, 'model.safetensors')), gpt2['model.safetensors']);
});

test('a cancelled download leaves no half file in the snapshot, and the next one resumes it', async () => {
  const hubOptions = options();
  const abort = new AbortController();
  hub.stallOnce.add('model.safetensors');
  const partial = path.join(repoDir(hubOptions, 'tiny/gpt2'), 'blobs', `${etagOf('model.safetensors', gpt2['model.safetensors'])}.incomplete`);
  hub.onStall = () => {
    const poll = setInterval(() => {
      if (fs.existsSync(partial) && fs.statSync(partial).size > 0) {
        clearInterval(poll);
        abort.abort();
      }
    }, 5);
  };
  await assert.rejects(resolveModel('tiny/gpt2', hubOptions, { signal: abort.signal }), DownloadCancelled);
  const snapshot = path.join(repoDir(hubOptions, 'tiny/gpt2'), 'snapshots', commitOf('tiny/gpt2'));
  assert.ok(!fs.existsSync(path.join(snapshot, 'model.safetensors')));
  const kept = fs.statSync(partial).size;
  hub.requests.length = 0;
  await resolveModel('tiny/gpt2', hubOptions);
  assert.equal(hub.requestsFor('/lfs-content/')[0].range, `bytes=${kept}-`);
  assert.deepEqual(fs.readFileSync(path.join(snapshot, 'model.safetensors')), gpt2['model.safetensors']);
});

test('bytes that do not match their ETag are deleted and reported, and never linked', async () => {
  const hubOptions = options();
  hub.corrupt.add('model.safetensors');
  try {
    await assert.rejects(resolveModel('tiny/gpt2', hubOptions), /^HubError: model\.safetensors arrived corrupt \(.*sha256 [0-9a-f]{64}, but the hub lists .*\); it was deleted/);
  } finally {
    hub.corrupt.delete('model.safetensors');
  }
  const repo = repoDir(hubOptions, 'tiny/gpt2');
  assert.ok(!fs.existsSync(path.join(repo, 'snapshots', commitOf('tiny/gpt2'), 'model.safetensors')));
  assert.deepEqual(fs.readdirSync(path.join(repo, 'blobs')).filter((name) => name.includes(etagOf('model.safetensors', gpt2['model.safetensors']))), []);
});

test('an unsupported architecture is refused from config.json, before any other file is requested', async () => {
  hub.requests.length = 0;
  await assert.rejects(resolveModel('tiny/bert', options()), /^HubError: tiny\/bert cannot be analysed, so its weights were not downloaded: .*BertForMaskedLM.*supported architectures are GPT2LMHeadModel, LlamaForCausalLM/);
  assert.deepEqual(hub.requestsFor('/resolve/').map((r) => path.basename(r.path)), ['config.json']);
});

test('gated, private and unknown models: one line each saying what to do', async () => {
  await assert.rejects(resolveModel('tiny/gated', options()), /^HubError: config\.json of tiny\/gated is gated, private or absent .*HTTP 401.*accept its licence on http:\/\/127\.0\.0\.1:\d+\/tiny\/gated and set a token with HF_TOKEN\.$/);
  await assert.rejects(resolveModel('tiny/private', options()), /^HubError: tiny\/private is gated, private or absent .*HTTP 401/);
  await assert.rejects(resolveModel('nobody/nothing', options()), /^HubError: nobody\/nothing is neither a folder here nor a model on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\); check the path/);
  await assert.rejects(resolveModel('tiny/gpt2@v9', options()), /HTTP 404, or it has no revision v9/);
  assert.match(await resolveModel('tiny/gated', options({ token: MOCK_TOKEN })), /snapshots/);
  assert.match(await resolveModel(`tiny/private@${commitOf('tiny/private')}`, options({ token: MOCK_TOKEN })), /snapshots/);
});

test('a model larger than the free disk space is refused before its weights are fetched', async () => {
  hub.requests.length = 0;
  await assert.rejects(downloadModel(id('tiny/huge'), options()), (error: Error) => error instanceof HubError && /needs 1000000000\.0 MB more .*ENOSPC.*HF_HUB_CACHE/.test(error.message));
  assert.deepEqual(hub.requestsFor('model.safetensors'), []);
});
