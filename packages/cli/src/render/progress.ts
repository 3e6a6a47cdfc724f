import type { Io } from '../io.js';

/** A one-line progress display on stderr, redrawn at most every 200 ms; nothing unless stderr is a TTY. */
export function progress(io: Io, label: string, total: number | undefined) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(bytes: number) {
      if (!tty || Date.now() - last < 200) return;
      last = Date.now();
      const pct = total ? ` ${Math.floor((100 * bytes) / total)}%` : '';
      process.stderr.write(`\r\x1b[K${label}: ${(bytes / 1048576).toFixed(1)} MiB${pct}`);
    },
    done() {
      if (tty && last > 0) process.stderr.write('\r\x1b[K');
    },
  };
}
