/** Sizes, times and copy reports as `mr fs` prints them (pure: the caller passes the clock's reading). */

const UNITS = ['K', 'M', 'G', 'T', 'P'];

/**
 * `-h` sizes as `hdfs dfs -h` prints them: bytes below 1 KiB as they are (`512`), above in powers of
 * 1024 with one decimal (`1.5 K`, `23.0 M`).
 */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  let v = bytes / 1024;
  let unit = 0;
  // 1023.96 K rounds to "1024.0 K": move up a unit before the rounding would reach it
  while (v >= 1023.95 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(1)} ${UNITS[unit]}`;
}

/** A size column: plain bytes, or `-h`'s. */
export const sizeText = (bytes: number, human: boolean): string => (human ? humanSize(bytes) : String(bytes));

const two = (n: number) => String(n).padStart(2, '0');

/** A modification time as `hdfs dfs -ls` shows it, in local time: `2026-11-29 07:36`; `-` when the store keeps none. */
export function mtimeText(mtimeMs: number | undefined): string {
  if (mtimeMs === undefined) return '-';
  const d = new Date(mtimeMs);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * The line a copy ends with (`mr fs put`, `get`, `getmerge`), the same for every store:
 * `put bs://data: 3 files, 10240 bytes in 0.4 s (24.4 MiB/s)`.
 */
export function copyReport(what: string, files: number, bytes: number, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const rate = bytes / 1048576 / seconds;
  return `${what}: ${files} ${files === 1 ? 'file' : 'files'}, ${bytes} bytes in ${(elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(1)} MiB/s)`;
}
