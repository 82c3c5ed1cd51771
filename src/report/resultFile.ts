/**
 * The `*.blens.json` file, for every front end: serialize, parse (and validate), name, write.
 * A saved result always travels with its Markdown report, under one base name.
 */
import { promises as fs } from 'node:fs';
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

/** The result alone, at a path given on the command line. */
export function writeResultFile(resultPath: string, result: BackwardLensResult): Promise<void> {
  return writeFileAtomic(resultPath, serializeResult(result));
}
