/**
 * `mr run`'s run dir (TMPDIR/mr-run-*): its embedded cluster's data and logs. It goes however the
 * run ends: removed at the end, or on any exit that skipped that (process.exit on a signal, a
 * crash); `--isolate`'s workers remove it when mr run dies under them (lifeline.ts); and what
 * nothing could remove (mr run SIGKILLed with its workers in it) a later `mr run` sweeps.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const RUN_DIR_PREFIX = 'mr-run-';
/** Inside a run dir: the pid of the `mr run` it belongs to, while it may be removed by others. */
const OWNER_FILE = 'owner.json';

export interface RunDir {
  path: string;
  /** Removes it now: the run's normal end. */
  remove(): Promise<void>;
  /** Keeps it on purpose (a failed run's logs, named in its error): no exit hook or later sweep removes it. */
  keep(): Promise<void>;
}

export function isRunDirName(path: string): boolean {
  return basename(path).startsWith(RUN_DIR_PREFIX);
}

export async function createRunDir(parent: string): Promise<RunDir> {
  await sweepAbandonedRunDirs(parent);
  const path = await mkdtemp(join(parent, RUN_DIR_PREFIX));
  writeFileSync(join(path, OWNER_FILE), `${JSON.stringify({ pid: process.pid })}\n`);
  const atExit = () => rmSync(path, { recursive: true, force: true });
  process.on('exit', atExit);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      process.off('exit', atExit);
    },
    async keep() {
      process.off('exit', atExit);
      await rm(join(path, OWNER_FILE), { force: true });
    },
  };
}

/**
 * Removes the run dirs under `parent` whose owner is dead: a run SIGKILLed (or lost with its
 * machine) runs no code, and its dir would stay until the next reboot. A dir with no readable
 * owner is left alone: one just being made, one kept on purpose, or not ours.
 */
export async function sweepAbandonedRunDirs(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(names.filter(isRunDirName).map(async (name) => {
    const dir = join(parent, name);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8').then((t) => (JSON.parse(t) as { pid?: unknown }).pid).catch(() => undefined);
    if (typeof owner === 'number' && !processAlive(owner)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
  // a killed process its parent has not reaped yet is still signalable: a zombie runs no code
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false; // no /proc (not Linux): signalable counts as alive
  }
}
