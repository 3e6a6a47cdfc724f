import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MrError, parseUri, partName } from '@mr/shared';
import { isInside, realPathOf } from '../data-dir.js';

/**
 * The file-system output committer (design.md "Commit"; one protocol, like FileOutputCommitter v1):
 *   attempt:  OUT/_temporary/<attemptId>/part-N       (written by the reduce attempt; ids start with the job id)
 *   task:     OUT/_temporary/committed-<jobId>/part-N  (rename, granted once per task by the machine)
 *   job:      OUT/part-N for every N, then OUT/_SUCCESS, then the job's temporaries removed
 * Nothing reaches the final paths before the job commits. Everything temporary is named after the
 * job, so that a second job writing the same output (another `mr run`) neither takes this job's
 * parts nor deletes its attempts: the later commit is refused instead (commitJob).
 */
export const TEMP_DIR = '_temporary';

const committedDir = (dir: string, jobId: string) => join(dir, TEMP_DIR, `committed-${jobId}`);

/** Removes the job's own temporaries, then _temporary itself unless another job still has some there. */
async function removeTemporaries(dir: string, jobId: string): Promise<void> {
  const tmp = join(dir, TEMP_DIR);
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch {
    return; // none
  }
  for (const n of names) if (n.startsWith(`${jobId}.`) || n === `committed-${jobId}`) await rm(join(tmp, n), { recursive: true, force: true });
  await rmdir(tmp).catch(() => undefined); // another job's are left
}


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

/**
 * Where a local output really leads at commit time, checked again: the submit-time check
 * (checkOutputOutsideDataDir) is no guard against a symlink swapped in while the job ran. The
 * commit then works on this resolved path, not on the name (which could be swapped again).
 */
async function committableDir(output: string, dataDir: string): Promise<string> {
  const name = localOutput(output);
  const [real, data] = await Promise.all([realPathOf(name), realPathOf(dataDir)]);
  if (isInside(real, data)) {
    throw new MrError('MR_ERR_OUTPUT_FORBIDDEN', `output ${name} now leads into the master's data dir (${real}): a symlink changed while the job ran; nothing was committed`);
  }
  return real;
}

/** Idempotent: a master that restarts mid-commit runs it again. */
export async function commitTask(jobId: string, output: string, attemptDir: string, partition: number, dataDir: string): Promise<void> {
  const dir = await committableDir(output, dataDir);
  const attempt = join(dir, relative(localOutput(output), localOutput(attemptDir)));
  const committed = committedDir(dir, jobId);
  const target = join(committed, partName(partition));
  const source = join(attempt, partName(partition));
  await mkdir(committed, { recursive: true });
  if (await exists(source)) await rename(source, target);
  else if (!(await exists(target))) throw new MrError('MR_ERR_INTERNAL', `commit of ${partName(partition)}: ${source} is missing`);
  await rm(attempt, { recursive: true, force: true });
}

export interface JobCommitOptions {
  /** --overwrite: an old result at the output is replaced. */
  overwrite: boolean;
  /** A commit redone after a master restart: parts already moved and _SUCCESS may be this job's own. */
  redo?: boolean;
  /** The master's --data dir, which no output may lead into. */
  dataDir: string;
}

/**
 * Idempotent: parts already moved are left; --overwrite's old result goes only now, when the new
 * one is complete. Without --overwrite, the output was free at submit: a result found now was
 * committed meanwhile by another job (another `mr run`, another cluster), and is not replaced.
 */
export async function commitJob(jobId: string, output: string, numReducers: number, o: JobCommitOptions): Promise<void> {
  const dir = await committableDir(output, o.dataDir);
  const committed = committedDir(dir, jobId);
  if (!o.overwrite && !o.redo) {
    const taken = (await readdir(dir)).filter((n) => n === '_SUCCESS' || n.startsWith('part-'));
    if (taken.length > 0) {
      throw new MrError('MR_ERR_OUTPUT_EXISTS', `output ${localOutput(output)} received ${taken.includes('_SUCCESS') ? '_SUCCESS' : taken[0]} from another job while this one ran; not replaced (use --overwrite to replace it)`);
    }
  }
  await rm(join(dir, '_SUCCESS'), { force: true });
  const wanted = new Set(Array.from({ length: numReducers }, (_, p) => partName(p)));
  for (const n of await readdir(dir)) {
    if (n.startsWith('part-') && !wanted.has(n)) await rm(join(dir, n), { force: true, recursive: true });
  }
  for (const part of wanted) {
    if (await exists(join(committed, part))) await rename(join(committed, part), join(dir, part));
    else if (!(await exists(join(dir, part)))) throw new MrError('MR_ERR_INTERNAL', `job commit: ${part} was never committed`);
  }
  await removeTemporaries(dir, jobId);
  await writeFile(join(dir, '_SUCCESS'), '');
}

export async function abortAttempt(attemptDir: string): Promise<void> {
  await rm(localOutput(attemptDir), { recursive: true, force: true });
}

export async function abortJob(jobId: string, output: string): Promise<void> {
  await removeTemporaries(localOutput(output), jobId);
}
