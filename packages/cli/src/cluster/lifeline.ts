/**
 * `mr run --isolate`'s workers die with it. Each gets a pipe from mr run on its stdin, of which mr
 * run holds the only write end: it closes when mr run exits, however it exits (SIGKILL and a crash
 * included). The worker then stops at once, rather than reconnect to a dead master forever, and
 * removes the run dir, which mr run, gone, cannot.
 */
import { rmSync } from 'node:fs';
import { MrError, type Logger } from '@mr/shared';
import { isRunDirName } from './run-dir.js';

/** How long a worker whose mr run is gone takes to stop before it exits anyway. */
const LIFELINE_STOP_MS = 5_000;

/** Checks `--lifeline RUN_DIR` before the worker starts: only a run dir is ever removed. */
export function checkLifelineDir(runDir: string): void {
  if (!isRunDirName(runDir)) throw new MrError('MR_ERR_USAGE', `--lifeline ${runDir}: not an mr run dir (mr-run-*)`);
}

export function watchLifeline(runDir: string, close: () => Promise<void>, log: Logger, stdin: NodeJS.ReadStream = process.stdin): void {
  let gone = false;
  const onGone = () => {
    if (gone) return;
    gone = true;
    log.warn({ runDir }, 'the mr run that started this worker is gone: stopping');
    const removeAndExit = () => {
      try {
        rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
      } finally {
        process.exit(1);
      }
    };
    const deadline = setTimeout(removeAndExit, LIFELINE_STOP_MS);
    void close().catch(() => undefined).finally(() => {
      clearTimeout(deadline);
      removeAndExit();
    });
  };
  stdin.on('end', onGone);
  stdin.on('close', onGone);
  stdin.on('error', onGone);
  stdin.resume();
  // the worker's own handles keep it running; a worker stopped by a signal exits without waiting for stdin
  stdin.unref();
}
