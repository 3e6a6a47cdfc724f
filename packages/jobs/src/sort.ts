/**
 * The `sort` built-in job: TeraSort on text lines (the input of `mr gen records`, or any lines).
 *
 * map       key = the line's first SORT_KEY_BYTES (10) bytes (shortened to a whole UTF-8 character),
 *           value = the rest of the line, so that key + value is the line.
 * partition a total-order range partitioner: part p holds the keys in [splits[p-1], splits[p]),
 *           from R-1 split points the submitter planned from a sample of the input (`sample`).
 * reduce    every value of the key, duplicates kept.
 *
 * The engine sorts keys by their UTF-8 bytes within a part and the split points cut the key space
 * in the same order, so part-00000 .. part-(R-1) concatenated are sorted by key. An output line is
 * `key<TAB>value`: the record with a TAB after its key (`mr validate sort` checks all of it).
 */
import { compareUtf8, defineJob, MrError } from '@mr/shared/core';

export const SORT_KEY_BYTES = 10;
/** Lines the submitter samples (Hadoop's TeraSort samples 100,000 keys by default). */
export const SORT_SAMPLE_LINES = 100_000;

/** The length (in UTF-16 units) of a line's key: the longest prefix of whole characters of at most SORT_KEY_BYTES UTF-8 bytes. */
export function sortKeyLength(line: string): number {
  let bytes = 0;
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    let units = 1;
    let size = 1;
    if (c >= 0x80) {
      if (c < 0x800) size = 2;
      else if (c >= 0xd800 && c < 0xdc00 && i + 1 < line.length && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        size = 4;
        units = 2;
      } else size = 3;
    }
    if (bytes + size > SORT_KEY_BYTES) break;
    bytes += size;
    i += units;
  }
  return i;
}

export const sortKey = (line: string): string => line.slice(0, sortKeyLength(line));

/**
 * R-1 split points, evenly spaced in the sorted keys: the i-th is the key at rank (i+1)·n/R, so each
 * part gets about n/R of the sampled keys. A sample smaller than R repeats split points (the parts
 * between equal split points stay empty); an empty sample gives none (every key in part 0).
 */
export function planSplits(keys: readonly string[], numReducers: number): string[] {
  if (keys.length === 0 || numReducers <= 1) return [];
  const sorted = [...keys].sort(compareUtf8);
  return Array.from({ length: numReducers - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / numReducers)]!);
}

/** The `splits` param: a JSON array of strings (keys may hold commas, quotes, backslashes, any character). */
export const encodeSplits = (splits: readonly string[]): string => JSON.stringify(splits);

/** Parses the `splits` param; refuses anything but a JSON array of strings in ascending UTF-8 byte order. */
export function decodeSplits(text: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new MrError('MR_ERR_USAGE', 'sort: splits must be a JSON array of keys, e.g. ["abc","m"]');
  }
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new MrError('MR_ERR_USAGE', 'sort: splits must be a JSON array of strings');
  const splits = v as string[];
  for (let i = 1; i < splits.length; i++) {
    if (compareUtf8(splits[i - 1]!, splits[i]!) > 0) {
      throw new MrError('MR_ERR_USAGE', `sort: splits must be in ascending UTF-8 byte order (${JSON.stringify(splits[i - 1])} comes before ${JSON.stringify(splits[i])})`);
    }
  }
  return splits;
}

/**
 * The part of `key`: the number of split points <= key (a key equal to a split point opens the
 * next part), at most R-1. Ascending keys give ascending parts, whatever the split points.
 */
export function rangePartition(splits: readonly string[], key: string, numReducers: number): number {
  let lo = 0;
  let hi = splits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(splits[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, numReducers - 1);
}

/** The split points of a job's params, decoded once per params object (one per attempt). */
const decoded = new WeakMap<object, readonly string[]>();

function splitsOf(params: Readonly<Record<string, string>>): readonly string[] {
  let splits = decoded.get(params);
  if (!splits) decoded.set(params, (splits = params.splits === undefined ? [] : decodeSplits(params.splits)));
  return splits;
}

export default defineJob<string, string>({
  name: 'sort',
  params(raw): Record<string, string> {
    const { splits, ...rest } = raw;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new MrError('MR_ERR_USAGE', `sort: unknown param '${unknown[0]}' (sort takes splits=JSON, planned from a sample of the input)`);
    if (splits === undefined) return {};
    decodeSplits(splits);
    return { splits };
  },
  sample: {
    lines: SORT_SAMPLE_LINES,
    // split points given with --param splits=... are kept
    plan: (sample, numReducers, params): Record<string, string> => (params.splits !== undefined ? {} : { splits: encodeSplits(planSplits(sample.map(sortKey), numReducers)) }),
  },
  map(line, emit) {
    const n = sortKeyLength(line);
    emit(line.slice(0, n), line.slice(n));
  },
  reduce(key, values, emit) {
    for (const v of values) emit(key, v);
  },
  partition(key, numReducers, params) {
    return rangePartition(splitsOf(params), key, numReducers);
  },
});
