import { MrError } from '../errors.js';

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "64m" -> 67108864. Sizes accept k/m/g suffixes (binary multiples), as contract.md says. */
export function parseSize(text: string, flag = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' is not a size (e.g. 512k, 64m, 1g)`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n <= 0) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' must be greater than 0`);
  return n;
}

/** "5s" -> 5000; a bare number is milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' is not a duration (e.g. 500ms, 5s, 2m)`);
  const n = Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!);
  if (n <= 0) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' must be greater than 0`);
  return n;
}

/** A whole number within [min, max], or a usage error naming the flag. */
export function parseIntFlag(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new MrError('MR_ERR_USAGE', `${flag}: ${n} is out of range (${min}..${max})`);
  return n;
}

/** `0 B`, `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB`: a byte count for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.max(0, Math.round(n))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A free-space floor: a size, or a share of the disk (`--reserved-space`). */
export type SpaceFloor = { bytes: number } | { percent: number };

/** `1g` -> { bytes }, `5%` -> { percent }, `0` -> no floor. */
export function parseSpaceFloor(text: string, flag = 'size'): SpaceFloor {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent >= 100) throw new MrError('MR_ERR_USAGE', `${flag}: '${text}' must be less than 100%`);
    return { percent };
  }
  if (/^\s*0+\s*$/.test(text)) return { bytes: 0 };
  return { bytes: parseSize(text, flag) };
}
