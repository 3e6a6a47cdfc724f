import { describe, expect, it } from 'vitest';
import { compareUtf8, RecordReader, RecordWriter } from '@mr/shared/core';
import { GroupedMerge } from './merge.js';

/** A sorted segment (UTF-8 key order) of the given records, as a reader. */
function segment(records: [string, unknown][]): RecordReader {
  const w = new RecordWriter();
  for (const [k, v] of [...records].sort(([a], [b]) => compareUtf8(a, b))) w.write(k, v);
  return RecordReader.fromBuffer(w.toBuffer());
}

/** Values sorted by their JSON: a key's values from several segments come in no promised order. */
function unordered(values: unknown[]): unknown[] {
  return [...values].sort((a, b) => compareUtf8(JSON.stringify(a), JSON.stringify(b)));
}

describe('GroupedMerge: sorted segments merged and grouped by key', () => {
  it('every key once, in UTF-8 byte order, with all its values (in no promised order across segments)', () => {
    const segs: [string, unknown][][] = [
      [['b', 1], ['é', 'x'], ['', 0], ['a\t1', [1, 2]]],
      [['b', 2], ['😀', true], ['a', 'y']],
      [],
      [['b', 3], ['é', { z: 1 }], ['\uffff', null]],
    ];
    const m = new GroupedMerge(segs.map(segment));
    const got: [string, unknown[]][] = [];
    while (m.nextKey()) got.push([m.key, unordered([...m.values()])]);
    const keys = [...new Set(segs.flat().map(([k]) => k))].sort(compareUtf8);
    expect(got.map(([k]) => k)).toEqual(keys);
    expect(Object.fromEntries(got)).toEqual({
      '': [0], a: ['y'], 'a\t1': [[1, 2]], b: [1, 2, 3], é: unordered(['x', { z: 1 }]), '\uffff': [null], '😀': [true],
    });
  });

  it('values left unread are skipped; the iterator is done at the end of a key', () => {
    const m = new GroupedMerge([segment([['k', 1], ['k', 2], ['l', 3]]), segment([['k', 4], ['m', 5]])]);
    expect(m.nextKey()).toBe(true);
    const it = m.values();
    expect(it.next()).toEqual({ value: 1, done: false });
    expect(m.nextKey()).toBe(true); // 2 and 4 never read
    expect(m.key).toBe('l');
    expect([...m.values()]).toEqual([3]);
    expect(m.values().next().done).toBe(true);
    expect(m.nextKey()).toBe(true);
    expect([m.key, [...m.values()]]).toEqual(['m', [5]]);
    expect(m.nextKey()).toBe(false);
  });

  it('a key longer than its key copy, next to keys sharing its prefix', () => {
    const long = 'p'.repeat(1000);
    const m = new GroupedMerge([segment([[long, 1], [long + 'q', 2]]), segment([[long, 3], ['p', 4]])]);
    const got: [string, unknown[]][] = [];
    while (m.nextKey()) got.push([m.key, unordered([...m.values()])]);
    expect(got).toEqual([['p', [4]], [long, [1, 3]], [long + 'q', [2]]]);
  });
});
