/**
 * The memory plan: a 7B-shaped bfloat16 checkpoint (a real safetensors header over a sparse file,
 * so no 13 GB of data) is planned from its headers and refused with the numbers and the ways out,
 * before anything is hashed or compiled; and the estimate is above the peak resident memory that
 * real analyses reach, so it errs on the side of refusing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { availableRam, memoryNeeds, MemoryPlanError, planMemory } from '../../src/engine/memoryPlan';
import { loadModel } from '../../src/model/load';
import { makeTempDir, removeDir, STORIES260K_DIR } from '../support/fixtures';
import { writeTinyGpt2, writeTinyLlama } from '../support/tinyModels';

const scratch = makeTempDir('memory-plan');
after(() => removeDir(scratch));
const CLI = path.resolve(__dirname, '../../src/cli/main.js');

/** Llama-2-7B's shapes in bfloat16: the header is real, the data a hole in a sparse file. */
function sparse7b(dir: string): string {
  const tiny = writeTinyLlama(path.join(scratch, 'tokenizer-source'), { kind: 'llama' });
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tiny.dir, name), path.join(dir, name));
  const [d, ff, layers, vocab] = [4096, 11008, 32, 32000];
  const config = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: d, intermediate_size: ff, num_hidden_layers: layers, num_attention_heads: 32, num_key_value_heads: 32, vocab_size: vocab, max_position_embeddings: 4096, rms_norm_eps: 1e-5, tie_word_embeddings: false };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [vocab, d]]];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    shapes.push([`${p}input_layernorm.weight`, [d]], [`${p}post_attention_layernorm.weight`, [d]]);
    for (const n of ['q', 'k', 'v', 'o']) shapes.push([`${p}self_attn.${n}_proj.weight`, [d, d]]);
    shapes.push([`${p}mlp.gate_proj.weight`, [ff, d]], [`${p}mlp.up_proj.weight`, [ff, d]], [`${p}mlp.down_proj.weight`, [d, ff]]);
  }
  shapes.push(['model.norm.weight', [d]], ['lm_head.weight', [vocab, d]]);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 2 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, Buffer.concat([length, json]));
  fs.truncateSync(file, 8 + json.length + offset);
  return dir;
}

test('a 7B bfloat16 model is planned from its headers and refused with the numbers and the ways out', async () => {
  const dir = sparse7b(path.join(scratch, '7b'));
  const model = await loadModel(dir);
  const cpu = memoryNeeds(model, 'cpu', 'float32', 128);
  // 6.74B parameters widened to float32: 27 GB before any activation.
  assert.ok(cpu.weights > 26.5e9 && cpu.weights < 27.5e9, String(cpu.weights));
  assert.ok(memoryNeeds(model, 'cuda', 'float16', 128).weights < cpu.weights / 1.9, 'float16 matmuls on a GPU hold the weights in half');
  // Far below any free RAM the tests see, so the limit is what the plan compares with.
  process.env.BACKWARD_LENS_MEMORY_LIMIT = '2GB';
  try {
    const plan = planMemory(model, 'cpu', 'float32', 128);
    assert.equal(plan.fits, false);
    assert.deepEqual(plan.available, { bytes: 2e9, source: 'BACKWARD_LENS_MEMORY_LIMIT' });
    assert.match(new MemoryPlanError(plan, '7b').message, /^7b does not fit: the analysis needs ≈ \d+\.\d GB of RAM \(weights .*\); 2\.00 GB is free \(BACKWARD_LENS_MEMORY_LIMIT\)\. Ways out: a GPU .*; a smaller model\.$/);
  } finally {
    delete process.env.BACKWARD_LENS_MEMORY_LIMIT;
  }
  const cli = spawnSync(process.execPath, [CLI, 'analyze', '--prompt', 'the cat sat', '--target', 'mat', '--model', dir], {
    encoding: 'utf8',
    env: { ...process.env, BACKWARD_LENS_MEMORY_LIMIT: '2GB', XDG_CACHE_HOME: scratch },
  });
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr.split('\n')[0], /^backward-lens: 7b does not fit: the analysis needs ≈ .* GB of RAM/);
  assert.equal(fs.existsSync(path.join(scratch, 'backward-lens', 'weights-sha256')), false, 'nothing was hashed');
});

/** Peak resident memory of one analysis in a fresh process, and the plan for it. */
function measured(modelDir: string, tokens: number): { peak: number; planned: number } {
  const script = `
    const { openEngine } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/open.js'))});
    (async () => {
      const engine = await openEngine(${JSON.stringify(modelDir)}, { executionProvider: 'cpu', cacheDir: ${JSON.stringify(path.join(scratch, 'cache'))} });
      const prompt = Array.from({ length: ${tokens} }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat'][i % 6]).join(' ');
      const result = await engine.analyze({ prompt, target: ' mat', lossMode: 'paper', topK: 5 });
      const plan = await engine.memoryPlan(result.tokens.length);
      const peak = Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
      console.log(JSON.stringify({ peak, planned: plan.total }));
      await engine.dispose();
    })();`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

test('the estimate is above the peak resident memory real analyses reach', () => {
  const gpt2 = writeTinyGpt2(path.join(scratch, 'gpt2-real'), { realTokenizer: true });
  for (const [dir, tokens] of [[STORIES260K_DIR, 100], [gpt2.dir, 60]] as const) {
    const { peak, planned } = measured(dir, tokens);
    assert.ok(planned > peak, `${path.basename(dir)}: planned ${(planned / 1e6).toFixed(0)} MB, peak ${(peak / 1e6).toFixed(0)} MB`);
  }
});

test('memory an open engine already holds counts as available to its next analysis, not twice', async () => {
  const model = await loadModel(STORIES260K_DIR);
  const held = 3e9;
  const plan = planMemory(model, 'cpu', 'float32', 16, 0, held);
  const free = availableRam().bytes;
  // MemAvailable moves a little between two readings.
  assert.ok(Math.abs(plan.available!.bytes - (free + held)) < 0.05 * free, `${plan.available!.bytes} vs ${free} + ${held}`);
  assert.match(plan.available!.source, /with the 3\.00 GB this process holds$/);
});
