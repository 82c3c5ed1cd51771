/** Paths to the shared read-only models, temporary folders, and reading weights back for checks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Compiled tests run from out/test/<folder>/, three levels below the repository root; shared/ sits beside the repository. */
export const SHARED_DIR = path.resolve(__dirname, '../../../../shared');
export const STORIES260K_DIR = path.join(SHARED_DIR, 'models/stories260K');
export const STORIES260K_CHECKPOINT = path.join(STORIES260K_DIR, 'stories260K.bin');
export const STORIES260K_TOKENIZER = path.join(STORIES260K_DIR, 'tok512.bin');

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `backward-lens-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export { readWeightValues } from '../../src/model/weightValues';

/** The optimized models the engine saved under a cache folder: every .onnx beside a cached graph but the graph itself. */
export function savedOptimizedModels(cacheDir: string): string[] {
  const graphs = path.join(cacheDir, 'graphs');
  if (!fs.existsSync(graphs)) return [];
  return fs
    .readdirSync(graphs)
    .flatMap((folder) => fs.readdirSync(path.join(graphs, folder)).map((file) => path.join(graphs, folder, file)))
    .filter((file) => file.endsWith('.onnx') && path.basename(file) !== 'model.onnx')
    .sort();
}
