import cliProgress from 'cli-progress';
import type { wire } from '@mr/shared';

/**
 * Live progress on the CLI, all drawn by cli-progress: the map and reduce phases of a job (`mr run`,
 * `mr submit --wait`) and the bytes of a copy (`mr fs put/get/getmerge`, `mr gen`). Progress goes to stderr
 * only, so stdout keeps the result (one JSON document with --json, which shows no progress at all).
 */

/** Where progress is drawn: process.stderr, or a stand-in in tests (cli-progress only writes and asks isTTY/columns). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** Milliseconds from any fixed origin. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

// bars are cut to the terminal width (linewrap: true) rather than turning the terminal's wrapping off,
// and the cursor stays visible: a process killed mid-draw leaves the terminal as it found it
const BAR_OPTIONS = { linewrap: true, hideCursor: false, barsize: 30, fps: 10, gracefulExit: false } as const;

const asStream = (s: ProgressStream) => s as unknown as NodeJS.WritableStream;
const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

export interface JobProgress {
  /** One status poll. */
  update(s: wire.JobStatus): void;
  /** Ends the display (idempotent); due on every path, since live bars keep a timer running. */
  stop(): void;
}

/** --json: nothing beyond errors on stderr. */
export const noJobProgress: JobProgress = { update() {}, stop() {} };

/**
 * The phases of a job from its status polls. On a TTY: a cli-progress MultiBar, one bar for map and
 * one for reduce (tasks done/total, percent, the phase's elapsed time), redrawn in place and left
 * showing their final state by `stop()`. Otherwise: one plain line per phase when it completes
 * (`map: 24/24 tasks in 3.1 s`). The map phase is timed from the first poll, the reduce phase from
 * the end of the map phase; `now` is the clock for both.
 */
export function jobProgress(stream: ProgressStream, now: Clock = monotonic): JobProgress {
  const tty = stream.isTTY === true;
  let started: number | undefined;
  let mapsEnd: number | undefined;
  let reducesEnd: number | undefined;
  let bars: { multi: cliProgress.MultiBar; map: cliProgress.SingleBar; reduce: cliProgress.SingleBar } | undefined;
  let stopped = false;

  const elapsed = (from: number | undefined, to: number | undefined, t: number) => (from === undefined ? '-' : seconds((to ?? t) - from));

  return {
    update(s) {
      if (stopped) return;
      const t = now();
      started ??= t;
      // a phase ends once (a map re-run after a lost shuffle copy does not reopen it)
      if (mapsEnd === undefined && s.mapsTotal > 0 && s.mapsDone >= s.mapsTotal) {
        mapsEnd = t;
        if (!tty) stream.write(`map: ${s.mapsDone}/${s.mapsTotal} tasks in ${seconds(mapsEnd - started)}\n`);
      }
      if (mapsEnd !== undefined && reducesEnd === undefined && s.reducesTotal > 0 && s.reducesDone >= s.reducesTotal) {
        reducesEnd = t;
        if (!tty) stream.write(`reduce: ${s.reducesDone}/${s.reducesTotal} tasks in ${seconds(reducesEnd - mapsEnd)}\n`);
      }
      if (!tty) return;
      const mapElapsed = elapsed(started, mapsEnd, t);
      const reduceElapsed = elapsed(mapsEnd, reducesEnd, t);
      if (!bars) {
        const multi = new cliProgress.MultiBar(
          { ...BAR_OPTIONS, stream: asStream(stream), clearOnComplete: false, format: '{phase} [{bar}] {percentage}% | {value}/{total} tasks | {elapsed}' },
          cliProgress.Presets.shades_classic,
        );
        bars = {
          multi,
          map: multi.create(s.mapsTotal, s.mapsDone, { phase: 'map   ', elapsed: mapElapsed }),
          reduce: multi.create(s.reducesTotal, s.reducesDone, { phase: 'reduce', elapsed: reduceElapsed }),
        };
        return;
      }
      if (bars.map.getTotal() !== s.mapsTotal) bars.map.setTotal(s.mapsTotal);
      if (bars.reduce.getTotal() !== s.reducesTotal) bars.reduce.setTotal(s.reducesTotal);
      bars.map.update(s.mapsDone, { elapsed: mapElapsed });
      bars.reduce.update(s.reducesDone, { elapsed: reduceElapsed });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars?.multi.stop();
    },
  };
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

export interface ByteProgress {
  update(bytes: number): void;
  /** Clears the bar (idempotent); due on every path, like JobProgress.stop. */
  done(): void;
}

/**
 * A single cli-progress bar of bytes copied (`total` known: a bar and percent; unknown: the count),
 * cleared when done; nothing unless `stream` is a TTY.
 */
export function byteProgress(label: string, total: number | undefined, stream: ProgressStream = process.stderr): ByteProgress {
  if (stream.isTTY !== true) return { update() {}, done() {} };
  const bar = new cliProgress.SingleBar(
    {
      ...BAR_OPTIONS,
      stream: asStream(stream),
      clearOnComplete: true,
      format: total === undefined ? '{label}: {copied}' : '{label} [{bar}] {percentage}% | {copied} of {size}',
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { label, copied: mib(0), size: mib(total ?? 0) });
  let ended = false;
  return {
    update(bytes) {
      if (!ended) bar.update(bytes, { copied: mib(bytes) });
    },
    done() {
      if (ended) return;
      ended = true;
      bar.stop();
    },
  };
}

export interface CopyProgress {
  /** Bytes copied so far in all, and files finished. */
  update(bytes: number, files: number): void;
  /** Clears the bar (idempotent); due on every path. */
  done(): void;
}

/**
 * One cli-progress bar for a copy of one or many files (`mr fs put -r`, `get -r`, `getmerge`): bytes
 * of the whole copy, and, when there is more than one file, files done out of all. Cleared when done;
 * nothing unless `stream` is a TTY.
 */
export function copyProgress(label: string, totalBytes: number, totalFiles: number, stream: ProgressStream = process.stderr): CopyProgress {
  if (stream.isTTY !== true) return { update() {}, done() {} };
  const files = totalFiles > 1 ? ' | {files}/{totalFiles} files' : '';
  const bar = new cliProgress.SingleBar(
    { ...BAR_OPTIONS, stream: asStream(stream), clearOnComplete: true, format: `{label} [{bar}] {percentage}%${files} | {copied} of {size}` },
    cliProgress.Presets.shades_classic,
  );
  // an empty copy is complete at once, not 0 of 0 (NaN%)
  bar.start(Math.max(totalBytes, 1), 0, { label, files: 0, totalFiles, copied: mib(0), size: mib(totalBytes) });
  let ended = false;
  return {
    update(bytes, done) {
      if (!ended) bar.update(totalBytes === 0 ? 1 : bytes, { copied: mib(bytes), files: done });
    },
    done() {
      if (ended) return;
      ended = true;
      bar.stop();
    },
  };
}
