import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DownloadBar } from '../../src/cli/downloadProgress';

/** Just enough of a stderr for cli-progress: it draws with write() and readline's escape codes. */
function fakeStream(isTTY: boolean) {
  const stream = { isTTY, columns: 160, text: '', write: (chunk: string) => ((stream.text += chunk), true) };
  return stream;
}

test('on a terminal the bar shows percent, megabytes, MB/s, ETA and the file; piped it shows nothing', () => {
  const tty = fakeStream(true);
  const bar = new DownloadBar('org/model', tty as unknown as NodeJS.WriteStream);
  bar.update({ file: 'model.safetensors', done: 2e6, total: 10e6 });
  bar.update({ file: 'model.safetensors', done: 5e6, total: 10e6 });
  bar.update({ file: 'model.safetensors', done: 10e6, total: 10e6 });
  assert.match(tty.text, /org\/model \[[█░]{24}\] \d+% \| \d+\.\d\/10\.0 MB \| \d+\.\d MB\/s \| ETA \S+ \| model\.safetensors/);
  assert.match(tty.text, /100% \| 10\.0\/10\.0 MB/);
  const piped = fakeStream(false);
  const quiet = new DownloadBar('org/model', piped as unknown as NodeJS.WriteStream);
  quiet.update({ file: 'model.safetensors', done: 1, total: 2 });
  quiet.stop();
  assert.equal(piped.text, '');
});
