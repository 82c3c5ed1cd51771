/**
 * The `*.blens.json` file, for every front end: serialize, parse (and validate), name, write.
 * A saved result always travels with its Markdown report, under one base name.
 */
import { accessSync, constants, lstatSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { exists, writeFileAtomic, writeNewFileAtomic } from '../files/atomicWrite';
import type { BackwardLensResult } from '../result/schema';
import { ResultFormatError, validateResult } from '../result/validate';
import { renderMarkdownReport } from './markdown';
import { candidateBaseNames, REPORT_EXTENSION, RESULT_EXTENSION, resultBaseName } from './naming';

export function serializeResult(result: BackwardLensResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Parses a `.blens.json` file, rejecting other or damaged JSON with a message a user can act on. */
export function parseResultFile(text: string): BackwardLensResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ResultFormatError(`Not a Backward Lens result: the file is not JSON (${(error as Error).message}).`);
  }
  return validateResult(data);
}

/** The Markdown report's path beside a result file. */
export function reportPathFor(resultPath: string): string {
  return resultPath.endsWith(RESULT_EXTENSION)
    ? resultPath.slice(0, -RESULT_EXTENSION.length) + REPORT_EXTENSION
    : resultPath.replace(/(\.json)?$/, REPORT_EXTENSION);
}

/** The result and its report as the bytes to write. */
export function resultFiles(result: BackwardLensResult): { json: string; markdown: string } {
  return { json: serializeResult(result), markdown: renderMarkdownReport(result) };
}

export interface SavedPaths {
  json: string;
  markdown: string;
}

/**
 * Saves a result and its report under the first free `<base>[-N]` in `dir`, creating `dir`.
 * A name counts as taken when either file of the pair exists, so a pair is never split.
 */
export async function saveResultPair(dir: string, bases: Iterable<string>, files: { json: string; markdown: string }): Promise<SavedPaths> {
  await fs.mkdir(dir, { recursive: true });
  for (const base of bases) {
    const json = path.join(dir, base + RESULT_EXTENSION);
    const markdown = path.join(dir, base + REPORT_EXTENSION);
    if (await exists(markdown)) continue;
    if (!(await writeNewFileAtomic(json, files.json))) continue;
    if (!(await writeNewFileAtomic(markdown, files.markdown))) {
      // Lost a race for the report's name after winning the result's: give the name back.
      await fs.rm(json, { force: true });
      continue;
    }
    return { json, markdown };
  }
  throw new Error(`no free file name in ${dir}`);
}

/** Saves into a results folder under a dated name from the prompt, never overwriting. */
export function saveResultToFolder(dir: string, result: BackwardLensResult): Promise<SavedPaths> {
  return saveResultPair(dir, candidateBaseNames(resultBaseName(result)), resultFiles(result));
}

/** Saves at a path the user chose (and confirmed any overwrite of), the report beside it. */
export async function saveResultAs(resultPath: string, result: BackwardLensResult): Promise<SavedPaths> {
  const files = resultFiles(result);
  const markdown = reportPathFor(resultPath);
  await writeFileAtomic(resultPath, files.json);
  await writeFileAtomic(markdown, files.markdown);
  return { json: resultPath, markdown };
}

/** A result path a user gave cannot be written: the message names that path and what to do. */
export class ResultPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultPathError';
  }
}

/**
 * Checks, before any work, that a result can be written at `resultPath`: its folder exists and is
 * writable, and nothing is there (or, with `force`, only a regular file, which is then replaced).
 */
export function checkResultPath(resultPath: string, force: boolean): void {
  if (resultPath.trim() === '') throw new ResultPathError('the result path is empty; give a file name such as result.blens.json.');
  const dir = path.dirname(path.resolve(resultPath));
  try {
    if (!statSync(dir).isDirectory()) throw new ResultPathError(`cannot write ${resultPath}: ${dir} is not a folder.`);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    if (error instanceof ResultPathError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ResultPathError(`cannot write ${resultPath}: its folder ${dir} ${code === 'ENOENT' ? 'does not exist; create it first' : 'is not writable'}.`);
  }
  let existing;
  try {
    existing = lstatSync(resultPath);
  } catch {
    return;
  }
  if (!existing.isFile()) throw new ResultPathError(`${resultPath} exists and is not a regular file (a folder, link or device); choose another path.`);
  if (!force) throw new ResultPathError(`${resultPath} exists; pass --force to replace it, or choose another path.`);
}

/** The result alone, at a path checked by checkResultPath; a file that appeared since is only replaced with `force`. */
export function writeResultFile(resultPath: string, result: BackwardLensResult, force: boolean): Promise<void> {
  return writeJsonFile(resultPath, serializeResult(result), force);
}

/** JSON text (a result, an edit's read-outs) at a path checked by checkResultPath; a file that appeared since is only replaced with `force`. */
export async function writeJsonFile(resultPath: string, json: string, force: boolean): Promise<void> {
  try {
    if (force) await writeFileAtomic(resultPath, json);
    else if (!(await writeNewFileAtomic(resultPath, json))) throw new ResultPathError(`${resultPath} appeared while the analysis ran; pass --force to replace it.`);
  } catch (error) {
    if (error instanceof ResultPathError) throw error;
    throw new ResultPathError(`cannot write ${resultPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}
