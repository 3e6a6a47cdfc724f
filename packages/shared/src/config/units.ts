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
