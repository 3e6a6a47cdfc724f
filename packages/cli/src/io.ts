/** Where commands print: stdout for results (one JSON document with --json), stderr for the rest. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** stdout failed: its reader went away (EPIPE), or another error; what follows is dropped. */
let stdoutGone = false;
let stdoutError: Error | undefined;
/** stderr failed the same way: nowhere is left to say anything. */
let stderrGone = false;

export const processIo: Io = {
  out: (t) => {
    if (!stdoutGone) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
  },
  err: (t) => {
    if (!stderrGone) process.stderr.write(t.endsWith('\n') ? t : t + '\n');
  },
};

/**
 * A stderr whose reader went away (`mr run --verbose 2>&1 | head -1`) fails its writes (progress,
 * errors) with EPIPE; unwatched, the first one crashed `mr run` with its cluster running and its
 * files left behind. Further writes are dropped and the command finishes as it would have.
 */
export function watchStderr(stream: NodeJS.WriteStream = process.stderr): void {
  stream.on('error', () => {
    stderrGone = true;
  });
}

/**
 * A reader that goes away (`mr run ... | head`) makes writes fail with EPIPE: further output is
 * dropped and the command finishes as it would have (a running `mr run` still stops its cluster
 * and removes its files; a failed job still exits 1), rather than crash with a stack trace. Any
 * other write error is one line on stderr and makes the exit code at least 1 (exitCodeAfterOutput).
 */
export function watchStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    stdoutGone = true;
    if (e.code === 'EPIPE' || stdoutError) return;
    stdoutError = e;
    process.stderr.write(`mr: cannot write output: ${e.message}\n`);
  });
}

/** The command's exit code, made 1 when its output could not be written (not for a reader that went away). */
export function exitCodeAfterOutput(code: number): number {
  return stdoutError && code === 0 ? 1 : code;
}

/** Writes bytes to stdout, waiting while it is full; false once stdout is gone (stop producing). */
export async function writeStdout(b: Uint8Array): Promise<boolean> {
  if (stdoutGone) return false;
  if (!process.stdout.write(b)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        process.stdout.off('drain', done);
        process.stdout.off('close', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('close', done); // a reader that went away: no drain will come
    });
  }
  return !stdoutGone;
}
