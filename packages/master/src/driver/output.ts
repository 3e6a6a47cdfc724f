import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MrError, parseUri, partName } from '@mr/shared';

/**
 * The file-system output committer (design.md "Commit"; one protocol, like FileOutputCommitter v1):
 *   attempt:  OUT/_temporary/<attemptId>/part-N       (written by the reduce attempt)
 *   task:     OUT/_temporary/committed/part-N          (rename, granted once per task by the machine)
 *   job:      OUT/part-N for every N, then OUT/_SUCCESS, then _temporary removed
 * Nothing reaches the final paths before the job commits.
 */
export const TEMP_DIR = '_temporary';


function localOutput(output: string): string {
  const loc = parseUri(output);
  if (loc.scheme !== 'file') throw new MrError('MR_ERR_UNSUPPORTED', `output ${output}: ${loc.scheme}:// outputs are not supported by this build yet; use a local path`);
  return loc.path;
}

/** Refuses an output that already holds a result unless overwriting (contract.md "Output"). */
export async function checkOutput(output: string, overwrite: boolean): Promise<string> {
  const dir = localOutput(output);
  let names: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${dir} exists and is not a directory`);
    names = await readdir(dir);
  } catch (e) {
    if (MrError.is(e)) throw e;
    return dir; // does not exist yet: fine
  }
  const taken = names.filter((n) => n === '_SUCCESS' || n.startsWith('part-'));
  if (taken.length > 0 && !overwrite) {
    throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${dir} already holds ${taken.includes('_SUCCESS') ? '_SUCCESS' : taken[0]} (use --overwrite to replace it)`);
  }
  return dir;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Idempotent: a master that restarts mid-commit runs it again. */
export async function commitTask(output: string, attemptDir: string, partition: number): Promise<void> {
  const committed = join(localOutput(output), TEMP_DIR, 'committed');
  const target = join(committed, partName(partition));
  const source = join(localOutput(attemptDir), partName(partition));
  await mkdir(committed, { recursive: true });
  if (await exists(source)) await rename(source, target);
  else if (!(await exists(target))) throw new MrError('MR_ERR_INTERNAL', `commit of ${partName(partition)}: ${source} is missing`);
  await rm(localOutput(attemptDir), { recursive: true, force: true });
}

/** Idempotent: parts already moved are left; --overwrite's old result goes only now, when the new one is complete. */
export async function commitJob(output: string, numReducers: number): Promise<void> {
  const dir = localOutput(output);
  const committed = join(dir, TEMP_DIR, 'committed');
  await rm(join(dir, '_SUCCESS'), { force: true });
  const wanted = new Set(Array.from({ length: numReducers }, (_, p) => partName(p)));
  for (const n of await readdir(dir)) {
    if (n.startsWith('part-') && !wanted.has(n)) await rm(join(dir, n), { force: true, recursive: true });
  }
  for (const part of wanted) {
    if (await exists(join(committed, part))) await rename(join(committed, part), join(dir, part));
    else if (!(await exists(join(dir, part)))) throw new MrError('MR_ERR_INTERNAL', `job commit: ${part} was never committed`);
  }
  await rm(join(dir, TEMP_DIR), { recursive: true, force: true });
  await writeFile(join(dir, '_SUCCESS'), '');
}

export async function abortAttempt(attemptDir: string): Promise<void> {
  await rm(localOutput(attemptDir), { recursive: true, force: true });
}

export async function abortJob(output: string): Promise<void> {
  await rm(join(localOutput(output), TEMP_DIR), { recursive: true, force: true });
}
