import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHubId, parseHubId } from '../../src/hub/hubId';

test('ids are ORG/NAME with an optional @REVISION; anything else is a path', () => {
  assert.deepEqual(parseHubId('HuggingFaceTB/SmolLM2-135M'), { repo: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' });
  assert.deepEqual(parseHubId('openai-community/gpt2@refs/pr/1'), { repo: 'openai-community/gpt2', revision: 'refs/pr/1' });
  assert.deepEqual(parseHubId('Qwen/Qwen2.5-0.5B@7ae557604adf67be50417f59c2c2f167def9a775'), { repo: 'Qwen/Qwen2.5-0.5B', revision: '7ae557604adf67be50417f59c2c2f167def9a775' });
  for (const notAnId of ['gpt2', './models/x', 'a/b/c', '/abs/path', '../up', 'org/na--me', 'org/-name', 'org/name.', 'org/name@', 'org/name@../x', 'C:\\models\\x', 'org/na me']) {
    assert.equal(parseHubId(notAnId), undefined, notAnId);
  }
  assert.equal(formatHubId({ repo: 'a/b', revision: 'main' }), 'a/b');
  assert.equal(formatHubId({ repo: 'a/b', revision: 'v2' }), 'a/b@v2');
});
