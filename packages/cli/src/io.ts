/** Where commands print: stdout for results (one JSON document with --json), stderr for the rest. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/**
 * A reader that went away (`mr fs cat ... | head`) makes the next write fail with EPIPE: stop
 * quietly, as a tool killed by SIGPIPE does (Node ignores the signal), rather than crash with a
 * stack trace. Any other write error is one line on stderr and exit 1.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`mr: cannot write output: ${e.message}\n`);
    process.exit(1);
  });
}
