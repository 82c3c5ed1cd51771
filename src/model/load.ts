/**
 * The one entry point for opening a model: a Hugging Face folder, a llama2.c folder, or a
 * llama2.c checkpoint file. Every failure is a ModelLoadError with a sentence for the user.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelDescription } from './description';
import { ModelLoadError } from '../files/modelLoadError';
import { fileInside, regularFileStat } from '../files/read';
import { loadHuggingFace } from './huggingface';
import { SUPPORTED_ARCHITECTURES } from './huggingfaceConfig';
import { loadLlama2c } from './llama2c';


const HF_CONFIG = 'config.json';

export async function loadModel(modelPath: string): Promise<ModelDescription> {
  const resolved = path.resolve(modelPath);
  try {
    return loadPath(resolved);
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError(`Cannot load the model at ${resolved} (${(error as Error).message}); check that its files are complete and readable.`);
  }
}

function loadPath(resolved: string): ModelDescription {
  if (statOrFail(resolved).isDirectory()) return loadFolder(resolved);
  regularFileStat(resolved);
  if (isHuggingFaceFile(resolved)) return loadHuggingFace(path.dirname(resolved));
  if (resolved.endsWith('.bin')) return loadLlama2c(resolved, tokenizerBeside(resolved));
  throw new ModelLoadError(
    `${resolved} is not a model: point at a Hugging Face model folder (with ${HF_CONFIG}), a llama2.c folder, or a llama2.c checkpoint .bin file.`,
  );
}

function statOrFail(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch {
    throw new ModelLoadError(`${file} does not exist; check the model path.`);
  }
}

/** Pointing at a file inside a Hugging Face folder means that folder. */
function isHuggingFaceFile(file: string): boolean {
  return path.basename(file) === HF_CONFIG || file.endsWith('.safetensors') || file.endsWith('.safetensors.index.json');
}

function loadFolder(folder: string): ModelDescription {
  if (fs.existsSync(path.join(folder, HF_CONFIG))) return loadHuggingFace(folder);
  const bins = binFiles(folder);
  if (bins.length === 0) {
    throw new ModelLoadError(
      `${folder} holds neither ${HF_CONFIG} (Hugging Face; supported: ${SUPPORTED_ARCHITECTURES.join(', ')}) nor llama2.c .bin files; point at a model folder.`,
    );
  }
  if (bins.length === 1) {
    throw new ModelLoadError(
      `${folder} holds only ${path.basename(bins[0])}, but a llama2.c model needs its checkpoint and its tokenizer .bin; add the missing file.`,
    );
  }
  const tokenizer = chooseTokenizer(bins, folder);
  const checkpoints = bins.filter((file) => file !== tokenizer);
  if (checkpoints.length !== 1) {
    throw new ModelLoadError(
      `${folder} should hold one llama2.c checkpoint .bin besides the tokenizer ${path.basename(tokenizer)}, but holds ${checkpoints.length} (${checkpoints.map((file) => path.basename(file)).join(', ') || 'none'}); point at the checkpoint file itself.`,
    );
  }
  return loadLlama2c(checkpoints[0], tokenizer);
}

/** The tokenizer beside a checkpoint: the other .bin file(s) of its folder. */
function tokenizerBeside(checkpoint: string): string {
  const others = binFiles(path.dirname(checkpoint)).filter((file) => file !== checkpoint);
  if (others.length === 0) {
    throw new ModelLoadError(`No llama2.c tokenizer .bin was found beside ${checkpoint}; put the tokenizer (e.g. tokenizer.bin or tok512.bin) in the same folder.`);
  }
  return chooseTokenizer([checkpoint, ...others], path.dirname(checkpoint));
}

/**
 * Among llama2.c .bin files, the tokenizer is the single one whose name starts with "tok"
 * (tokenizer.bin, tok512.bin); failing that, of exactly two files, the smaller, since a
 * tokenizer is always much smaller than the checkpoint it belongs to.
 */
function chooseTokenizer(bins: string[], folder: string): string {
  const named = bins.filter((file) => path.basename(file).toLowerCase().startsWith('tok'));
  if (named.length === 1) return named[0];
  if (bins.length === 2) return fs.statSync(bins[0]).size <= fs.statSync(bins[1]).size ? bins[0] : bins[1];
  throw new ModelLoadError(
    `Cannot tell which .bin in ${folder} is the llama2.c tokenizer (${bins.map((file) => path.basename(file)).join(', ')}); keep one checkpoint and one tokenizer whose name starts with "tok".`,
  );
}

/** The folder's .bin files: each a regular file inside the folder (a pipe, a device or a link out of it is refused, not opened). */
function binFiles(folder: string): string[] {
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => fileInside(folder, name));
}
