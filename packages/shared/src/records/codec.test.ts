import { mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatValue, RecordReader, RecordWriter } from './codec.js';

const records: [string, unknown][] = [
  ['', ''],
  ['word', 1],
  ['ünïcödé 😀', 'value\twith\ttabs'],
  ['json', { a: [1, 2, { b: null }] }],
  ['neg', -2.5],
  ['big', 2 ** 52 + 1],
  ['long', 'x'.repeat(300_000)],
  ['array', [1, 'two']],
  ['bool', true],
];

function readAll(r: RecordReader): [string, unknown][] {
  const out: [string, unknown][] = [];
  while (r.next()) out.push([r.key, r.value]);
  return out;
}

describe('shuffle record codec', () => {
  it('round-trips strings, numbers and JSON values through a buffer', () => {
    const w = new RecordWriter();
    for (const [k, v] of records) w.write(k, v);
    expect(readAll(RecordReader.fromBuffer(w.toBuffer()))).toEqual(records);
  });

  it('round-trips through a file larger than the 1 MiB read chunk, and reads byte ranges', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const file = join(dir, 'runs');
    const fd = openSync(file, 'w');
    const w = new RecordWriter(fd);
    const many: [string, unknown][] = [];
    for (let i = 0; i < 200_000; i++) many.push([`k${i}`, i % 3 === 0 ? `v${i}` : i]);
    for (const [k, v] of many) w.write(k, v);
    const firstEnd = w.bytes;
    for (const [k, v] of records) w.write(k, v);
    w.flush();
    closeSync(fd);
    expect(readAll(RecordReader.fromFile(file))).toEqual([...many, ...records]);
    expect(readAll(RecordReader.fromFile(file, 0, firstEnd))).toEqual(many);
    expect(readAll(RecordReader.fromFile(file, firstEnd))).toEqual(records);
    expect(readAll(RecordReader.fromFile(file, firstEnd, 0))).toEqual([]);
  });

  it('a truncated file is an error, never a silent short read', () => {
    const w = new RecordWriter();
    w.write('key', 'a value that will be cut');
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const file = join(dir, 'cut');
    writeFileSync(file, w.toBuffer().subarray(0, w.bytes - 3));
    const r = RecordReader.fromFile(file);
    expect(() => r.next()).toThrow(/truncated record/);
  });

  it('formats output values as contract.md says: String() for strings and numbers, JSON otherwise', () => {
    expect(formatValue('a b')).toBe('a b');
    expect(formatValue(42)).toBe('42');
    expect(formatValue([1, 'x'])).toBe('[1,"x"]');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
});
