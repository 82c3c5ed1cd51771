import test from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/html';
import { DEFAULT_SETTINGS, parseAnalyzeArgs, parseSettings } from '../../src/extension/settings';
import { tokenRanges } from '../../src/extension/tokenRanges';
import { TOP_K_RANGE } from '../../src/engine/api';

test('settings fall back to documented defaults and clamp numbers', () => {
  assert.deepEqual(parseSettings(() => undefined), DEFAULT_SETTINGS);
  const values: Record<string, unknown> = {
    modelPath: '  /m/llama ',
    executionProvider: 'tpu',
    topK: 500,
    lossMode: 'text',
    maxTokens: 12.6,
    resultsFolder: '',
    projection: 'float8',
    matmuls: 'int8',
    hubOffline: 'yes',
  };
  assert.deepEqual(parseSettings((k) => values[k]), {
    modelPath: '/m/llama',
    executionProvider: 'auto',
    topK: TOP_K_RANGE.max,
    lossMode: 'text',
    maxTokens: 13,
    resultsFolder: 'backward-lens',
    projection: 'float32',
    matmuls: 'float32',
    hubOffline: false,
  });
  assert.equal(parseSettings((k) => (k === 'projection' ? 'float16' : undefined)).projection, 'float16');
  assert.equal(parseSettings((k) => (k === 'matmuls' ? 'float16' : undefined)).matmuls, 'float16');
  assert.equal(parseSettings((k) => (k === 'hubOffline' ? true : undefined)).hubOffline, true);
});

test('analyze arguments: only a plain {target} skips the input box', () => {
  assert.deepEqual(parseAnalyzeArgs({ target: 'Tom' }), { target: 'Tom' });
  assert.deepEqual(parseAnalyzeArgs({ scheme: 'file', path: '/a.txt' }), {});
  assert.deepEqual(parseAnalyzeArgs(undefined), {});
  assert.deepEqual(parseAnalyzeArgs({ target: 3 }), {});
});

test('token ranges follow the text, skipping BOS and the dummy-prefix space', () => {
  const text = 'Once upon a time,\nthere';
  const tokens = ['<s>', ' Once', ' upon', ' a', ' time', ',', ' there'].map((t, id) => ({ id, text: t }));
  const ranges = tokenRanges(text, tokens);
  assert.equal(ranges[0], undefined);
  assert.deepEqual(ranges.slice(1).map((r) => r && text.slice(r.start, r.end)), ['Once', ' upon', ' a', ' time', ',', 'there']);
  assert.deepEqual(tokenRanges('ab', [{ id: 0, text: '<0xE2>' }, { id: 1, text: 'ab' }]), [undefined, { start: 0, end: 2 }]);
});

test('the page has a nonce-only script policy and escapes its inputs', () => {
  const csp = contentSecurityPolicy('vscode-resource:', 'N0NCE');
  assert.ok(csp.includes("default-src 'none'") && csp.includes("script-src 'nonce-N0NCE'"));
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
  const html = webviewHtml({ cspSource: 'src', scriptUri: 'https://x/a.js?"><b>', styleUri: 's.css', title: '<t>' }, 'N0NCE');
  assert.ok(html.includes('<script nonce="N0NCE" src="https://x/a.js?&quot;&gt;&lt;b&gt;">'));
  assert.ok(html.includes('<title>&lt;t&gt;</title>'));
});
