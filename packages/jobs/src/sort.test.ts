import { compareUtf8, jobShapeProblem, type JobContext } from '@mr/shared/core';
import { describe, expect, it } from 'vitest';
import { rngFor, type Rng } from './gen/rng.js';
import sort, { decodeSplits, encodeSplits, planSplits, rangePartition, sortKey, sortKeyLength } from './sort.js';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Characters of every UTF-8 length, and the ones where UTF-16 order and byte order differ (U+E000.. vs astral). */
const ALPHABET = ['!', 'A', 'a', '~', ',', '"', '\\', ' ', '\t', 'é', 'ß', '中', '\uE000', '\uFFFD', '😀', '\u{10FFFF}'];

function randomKey(r: Rng, maxLen = 6): string {
  let s = '';
  const n = Math.floor(r() * (maxLen + 1));
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

/**
 * What the engine does with the partitioner: each key to its part, each part sorted by UTF-8
 * bytes; returns the parts concatenated.
 */
function partitionAndSort(keys: string[], splits: string[], R: number): string[] {
  const parts: string[][] = Array.from({ length: R }, () => []);
  for (const k of keys) parts[rangePartition(splits, k, R)]!.push(k);
  return parts.flatMap((p) => p.sort(compareUtf8));
}

const ctx = (params: Record<string, string>): JobContext => ({
  params, counter: () => {}, jobId: 'j', taskId: 'm-00000', attempt: 0, offset: 0, firstLine: undefined,
  badRecord: () => {}, headerRecord: () => {}, gathered: [], partition: undefined,
});

describe('sort: the key of a record', () => {
  it('is the first 10 bytes, shortened to a whole UTF-8 character; key + value is the line', () => {
    expect(sortKey('0123456789 rest')).toBe('0123456789');
    expect(sortKey('short')).toBe('short');
    expect(sortKey('')).toBe('');
    expect(sortKey('123456789é')).toBe('123456789'); // é is 2 bytes: 11 would not fit
    expect(sortKey('12345678é!')).toBe('12345678é');
    expect(sortKey('1234567😀x')).toBe('1234567'); // 4 bytes, a surrogate pair: never split
    expect(sortKey('123456😀x')).toBe('123456😀');
    expect(sortKey('中中中中')).toBe('中中中'); // 9 bytes
    for (const line of ['0123456789 x', 'ab', '123456789é tail']) {
      const emitted: [string, string][] = [];
      sort.map(line, (k, v) => emitted.push([k, v]), ctx({}));
      expect(emitted).toEqual([[sortKey(line), line.slice(sortKeyLength(line))]]);
      expect(emitted[0]![0] + emitted[0]![1]).toBe(line);
    }
  });
});

describe('sort: the sample planner', () => {
  it('picks R-1 evenly spaced keys of the sorted sample (by UTF-8 bytes)', () => {
    const keys = Array.from({ length: 100 }, (_, i) => String(i).padStart(3, '0')).reverse();
    expect(planSplits(keys, 4)).toEqual(['025', '050', '075']);
    expect(planSplits(keys, 1)).toEqual([]);
    expect(planSplits([], 4)).toEqual([]);
    expect(planSplits(['\uE000', '😀', 'a'], 3)).toEqual(['\uE000', '😀']); // U+E000 < U+1F600 in bytes, not in UTF-16
  });

  it('a sample smaller than R repeats split points; the plan becomes the splits param', () => {
    expect(planSplits(['b', 'a'], 5)).toEqual(['a', 'a', 'b', 'b']);
    const sample = ['zz 1', 'aa 2', 'mm 3'];
    const planned = sort.sample!.plan(sample, 3, {});
    expect(decodeSplits(planned.splits!)).toEqual(['mm 3', 'zz 1']);
    expect(sort.params!(planned)).toEqual(planned); // the planned params pass the job's check
    expect(sort.sample!.plan(sample, 3, { splits: '["x"]' })).toEqual({}); // given split points are kept
    expect(jobShapeProblem(sort)).toBeUndefined();
  });
});

describe('sort: the splits param', () => {
  it('round-trips any keys (commas, quotes, backslashes, non-ASCII, empty)', () => {
    const splits = ['', ',', '"', '\\', 'a,b', 'é', '中', '\uE000', '😀'].sort(compareUtf8);
    expect(decodeSplits(encodeSplits(splits))).toEqual(splits);
    expect(sort.params!({ splits: encodeSplits(splits) })).toEqual({ splits: encodeSplits(splits) });
  });

  it('refuses what is not a JSON array of strings in ascending byte order, and unknown params', () => {
    expect(() => decodeSplits('a,b')).toThrow(/JSON array/);
    expect(() => decodeSplits('[1]')).toThrow(/array of strings/);
    expect(() => decodeSplits('["b","a"]')).toThrow(/ascending UTF-8 byte order/);
    expect(() => decodeSplits('["😀","\uE000"]')).toThrow(/ascending/);
    expect(() => sort.params!({ split: '[]' })).toThrow(/unknown param 'split'/);
    expect(sort.params!({})).toEqual({});
  });
});

describe('sort: the range partitioner', () => {
  it('sends a key equal to a split point to the next part; duplicate split points leave empty parts; at most R-1', () => {
    const splits = ['b', 'd', 'd', 'f'];
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => rangePartition(splits, k, 5))).toEqual([0, 1, 1, 3, 3, 4, 4]);
    expect(rangePartition([], 'x', 4)).toBe(0);
    expect(rangePartition(['a', 'b', 'c'], 'z', 2)).toBe(1); // more split points than parts
  });

  it('over random keys (non-ASCII, keys equal to split points, tiny samples): the parts concatenated are sorted by UTF-8 bytes', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rngFor(seed);
      const keys = Array.from({ length: 500 }, () => randomKey(r));
      const R = 1 + Math.floor(r() * 12);
      const sampleSize = [0, 1, 2, R - 1, 50][seed % 5]!;
      const sample = Array.from({ length: Math.max(0, sampleSize) }, () => keys[Math.floor(r() * keys.length)]!);
      const splits = planSplits(sample, R);
      const out = partitionAndSort(keys, splits, R);
      expect(out).toHaveLength(keys.length);
      expect(out, `seed ${seed}`).toEqual([...keys].sort(byBytes));
    }
  });

  it('the job partitions with the split points of its params', () => {
    const parts = (params: Record<string, string>, lines: string[]) => {
      const c = ctx(params);
      return lines.map((l) => {
        let p = -1;
        sort.map(l, (k) => (p = sort.partition!(k, 3, c.params)), c);
        return p;
      });
    };
    const lines = ['aaaaaaaaaa 1', 'mmmmmmmmmm 2', 'zzzzzzzzzz 3'];
    expect(parts({ splits: encodeSplits(['b', 'n']) }, lines)).toEqual([0, 1, 2]);
    expect(parts({ splits: encodeSplits(['0', '1']) }, lines)).toEqual([2, 2, 2]);
    expect(parts({}, lines)).toEqual([0, 0, 0]);
  });

  it('reduce keeps every value of a key, duplicates too', () => {
    const out: [string, string][] = [];
    sort.reduce('k', [' x', ' x', ' y'], (k, v) => out.push([k, v]), ctx({}));
    expect(out).toEqual([['k', ' x'], ['k', ' x'], ['k', ' y']]);
  });
});
