import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { MrError } from './errors.js';

/**
 * fs-native-extensions: `tryLock(fd)` takes an exclusive lock on the open file, without waiting
 * (Linux: an open file description lock, `fcntl(F_OFD_SETLK)`; macOS: `flock`). The kernel drops
 * it when the descriptor closes, whichever way the process ends, SIGKILL included.
 */
const fsx = createRequire(import.meta.url)('fs-native-extensions') as { tryLock(fd: number): boolean };

/** The lock file in a master's or a worker's --data dir (HDFS keeps one of this name in its storage dirs). */
export const DATA_LOCK_FILE = 'in_use.lock';

export interface DataDirLock {
  /** Says who holds the dir (`worker core-1`), for the line a refused process prints. */
  describe(holder: string): void;
  /** Lets the dir go (the file stays: what counts is the lock on it, not its existence). */
  release(): void;
}

/**
 * Takes `dir` for this process for as long as it runs: two processes sharing a --data would
 * overwrite each other's node id, journal and replicas, and show one disk as two. An OS lock, not
 * a file whose existence is the lock, so a holder that was SIGKILLed never blocks a restart; the
 * file's content only names the holder. A second taker gets one line naming it, MR_ERR_DATA_IN_USE.
 */
export function lockDataDir(dir: string, holder: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, DATA_LOCK_FILE);
  // no O_TRUNC: the holder's name must survive a refused opener
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  let locked: boolean;
  try {
    locked = fsx.tryLock(fd);
  } catch (e) {
    closeSync(fd);
    throw new MrError('MR_ERR_DATA_IN_USE', `--data ${resolve(dir)}: cannot lock ${DATA_LOCK_FILE} (${(e as Error).message})`);
  }
  if (!locked) {
    closeSync(fd);
    throw new MrError('MR_ERR_DATA_IN_USE', `--data ${resolve(dir)} is in use by ${holderOf(file)}`);
  }
  const describe = (who: string) => {
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify({ holder: who, pid: process.pid }) + '\n', 0);
  };
  describe(holder);
  let released = false;
  return {
    describe,
    release: () => {
      if (released) return;
      released = true;
      closeSync(fd);
    },
  };
}

/** `worker core-1 (pid 1234)` from a lock file; another process when it says nothing yet (its holder is writing it). */
function holderOf(file: string): string {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as { holder?: unknown; pid?: unknown };
    if (typeof h.holder === 'string' && typeof h.pid === 'number') return `${h.holder} (pid ${h.pid})`;
  } catch {
    // empty or half written
  }
  return 'another process';
}
