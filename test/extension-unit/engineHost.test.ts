/** The extension's engine host resolves a Hugging Face id in modelPath as the CLI does: the cache, else a download. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineHost } from '../../src/extension/engineHost';
import type { DownloadProgress } from '../../src/hub/download';
import { CLI_HINTS } from '../../src/hub/hubOptions';
import { makeTempDir, removeDir } from '../support/fixtures';
import { commitOf, MockHub, repoFiles } from '../support/mockHub';
import { writeTinyGpt2 } from '../support/tinyModels';

const scratch = makeTempDir('engine-host');
const savedCache = process.env.HF_HUB_CACHE;
after(() => {
  process.env.HF_HUB_CACHE = savedCache;
  removeDir(scratch);
});

test('modelPath ORG/NAME is downloaded with progress, loaded, and then named by its snapshot', async () => {
  const hub = await MockHub.start({ 'tiny/gpt2': { files: repoFiles(writeTinyGpt2(path.join(scratch, 'gpt2')).dir) } });
  try {
    const cacheDir = path.join(scratch, 'hub');
    process.env.HF_HUB_CACHE = cacheDir;
    const host = new EngineHost({
      extensionRoot: scratch,
      log: () => {},
      cacheDir: path.join(scratch, 'graphs'),
      hub: async () => ({ endpoint: hub.url, offline: false, cacheDir, hints: CLI_HINTS }),
      engineScript: path.resolve(__dirname, '../../src/engineProcess/engineChild.js'),
    });
    const key = { modelPath: 'tiny/gpt2', executionProvider: 'cpu' as const };
    assert.equal(host.describe(key), 'tiny/gpt2');
    assert.equal(host.resolveModelPath('tiny/gpt2'), 'tiny/gpt2', 'not downloaded yet');
    const steps: DownloadProgress[] = [];
    const engine = await host.get(key, { onProgress: (step) => steps.push(step) });
    assert.equal(engine.modelName, 'tiny/gpt2');
    assert.equal(steps.at(-1)?.done, steps.at(-1)?.total);
    assert.equal(host.resolveModelPath('tiny/gpt2'), path.join(cacheDir, 'models--tiny--gpt2', 'snapshots', commitOf('tiny/gpt2')));
    await host.dispose();
  } finally {
    await hub.stop();
  }
});
