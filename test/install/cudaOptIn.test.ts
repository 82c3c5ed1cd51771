/**
 * The install policy: package.json's allowScripts denies onnxruntime-node's postinstall (it would
 * fetch CUDA libraries from NuGet, unreachable offline; the CPU binaries ship in the npm package),
 * and `npm run install-cuda` runs that installer on purpose. This proves the opt-in reaches NuGet
 * for the CUDA 12 package: a local proxy records where it connects, and refuses, so nothing is
 * downloaded or changed here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('installs never run onnxruntime-node\'s download, and use no config npm does not know', () => {
  assert.equal(manifest.allowScripts['onnxruntime-node'], false);
  assert.equal(fs.existsSync(path.join(ROOT, '.npmrc')), false, 'an unknown .npmrc key warns on every install under npm 11');
});

// The flag must stay bare: onnxruntime-node 1.30 reads `--onnxruntime-node-install=cuda12` as no flag at
// all, and then, run from the project itself (as npm scripts are), exits without installing.
test('`npm run install-cuda` runs the CUDA 12 installer, which asks NuGet for the GPU package', async () => {
  const connects: string[] = [];
  const proxy = http.createServer();
  proxy.on('connect', (request, socket) => {
    connects.push(String(request.url));
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = proxy.address() as AddressInfo;
    // Through npm itself, as a user runs it; asynchronously: the proxy answers from this process's event loop.
    const child = await new Promise<{ status: number | null; output: string }>((resolve) => {
      const run = spawn('npm', ['run', '--silent', 'install-cuda'], {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: `http://127.0.0.1:${port}`, GLOBAL_AGENT_HTTP_PROXY: `http://127.0.0.1:${port}` },
      });
      let output = '';
      run.stdout.on('data', (d) => (output += d));
      run.stderr.on('data', (d) => (output += d));
      run.on('close', (status) => resolve({ status, output }));
    });
    assert.deepEqual(connects.slice(0, 1), ['api.nuget.org:443'], child.output);
    assert.notEqual(child.status, 0, 'the refused connection fails the install instead of pretending');
    const metadata = require(path.join(ROOT, 'node_modules/onnxruntime-node/script/install-metadata.js'));
    assert.equal(metadata.packages['nuget:linux/x64:cuda12'].name, 'Microsoft.ML.OnnxRuntime.Gpu.Linux');
    assert.deepEqual(Object.keys(metadata.manifests['linux/x64:cuda12']).sort(), [
      './libonnxruntime_providers_cuda.so',
      './libonnxruntime_providers_shared.so',
      './libonnxruntime_providers_tensorrt.so',
    ]);
  } finally {
    proxy.close();
  }
});
